 (func $__loopin_memory_fill (param $dst i32) (param $val i32) (param $size i32)
  (local $i i32)
  (local $word i64)
  (if
   (i32.gt_u
    (i32.add (local.get $dst) (local.get $size))
    (i32.shl (memory.size) (i32.const 16)))
   (then (unreachable)))
  (local.set $word
   (i64.mul
    (i64.extend_i32_u (i32.and (local.get $val) (i32.const 255)))
    (i64.const 0x0101010101010101)))
  (block $words_done
   (loop $words
    (br_if $words_done (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $size)))
    (i64.store align=1 (i32.add (local.get $dst) (local.get $i)) (local.get $word))
    (local.set $i (i32.add (local.get $i) (i32.const 8)))
    (br $words)))
  (block $bytes_done
   (loop $bytes
    (br_if $bytes_done (i32.ge_u (local.get $i) (local.get $size)))
    (i32.store8 (i32.add (local.get $dst) (local.get $i)) (local.get $val))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $bytes)))
 )
