 (func $__loopin_memory_copy (param $dst i32) (param $src i32) (param $size i32)
  (local $i i32)
  (local $end i32)
  (local.set $end (i32.shl (memory.size) (i32.const 16)))
  (if
   (i32.or
    (i32.gt_u (i32.add (local.get $dst) (local.get $size)) (local.get $end))
    (i32.gt_u (i32.add (local.get $src) (local.get $size)) (local.get $end)))
   (then (unreachable)))
  (if
   (i32.le_u (local.get $dst) (local.get $src))
   (then
    (block $words_done
     (loop $words
      (br_if $words_done (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $size)))
      (i64.store align=1
       (i32.add (local.get $dst) (local.get $i))
       (i64.load align=1 (i32.add (local.get $src) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $words)))
    (block $bytes_done
     (loop $bytes
      (br_if $bytes_done (i32.ge_u (local.get $i) (local.get $size)))
      (i32.store8
       (i32.add (local.get $dst) (local.get $i))
       (i32.load8_u (i32.add (local.get $src) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $bytes))))
   (else
    (local.set $i (local.get $size))
    (block $back_words_done
     (loop $back_words
      (br_if $back_words_done (i32.lt_u (local.get $i) (i32.const 8)))
      (local.set $i (i32.sub (local.get $i) (i32.const 8)))
      (i64.store align=1
       (i32.add (local.get $dst) (local.get $i))
       (i64.load align=1 (i32.add (local.get $src) (local.get $i))))
      (br $back_words)))
    (block $back_bytes_done
     (loop $back_bytes
      (br_if $back_bytes_done (i32.eqz (local.get $i)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8
       (i32.add (local.get $dst) (local.get $i))
       (i32.load8_u (i32.add (local.get $src) (local.get $i))))
      (br $back_bytes)))))
 )
