 ;; memory.fill for cosmwasm-vm (see memory-copy.wat): straight-line code for 0-32 bytes, picked
 ;; by one br_table, 32 bytes per loop step beyond.
 (func $__loopin_memory_fill (param $dst i32) (param $val i32) (param $size i32)
  (local $i i32) (local $x i32) (local $word i64)
  ;; memory.fill traps before writing anything when the range leaves memory
  (if (i32.gt_u (i32.add (local.get $dst) (local.get $size)) (i32.shl (memory.size) (i32.const 16)))
   (then (unreachable)))
  ;; Every size up to 32 is straight-line code (stores that may overlap); one br_table
  ;; picks the case.
  (block $big (block $c17_32 (block $c8_16 (block $c4_7 (block $c2_3 (block $c1 (block $c0
   (br_table $c0 $c1 $c2_3 $c2_3 $c4_7 $c4_7 $c4_7 $c4_7 $c8_16 $c8_16 $c8_16 $c8_16 $c8_16 $c8_16 $c8_16 $c8_16 $c8_16 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $big
    (select (local.get $size) (i32.const 33) (i32.lt_u (local.get $size) (i32.const 33)))))
   (return))
  ;; 1
  (i32.store8 (local.get $dst) (local.get $val))
  (return))
  ;; 2-3
  (local.set $x (i32.mul (i32.and (local.get $val) (i32.const 255)) (i32.const 0x0101)))
  (i32.store16 align=1 (local.get $dst) (local.get $x))
  (i32.store16 align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 2))) (local.get $x))
  (return))
  ;; 4-7
  (local.set $x (i32.mul (i32.and (local.get $val) (i32.const 255)) (i32.const 0x01010101)))
  (i32.store align=1 (local.get $dst) (local.get $x))
  (i32.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 4))) (local.get $x))
  (return))
  ;; 8-16
  (local.set $word (i64.mul (i64.extend_i32_u (i32.and (local.get $val) (i32.const 255))) (i64.const 0x0101010101010101)))
  (i64.store align=1 (local.get $dst) (local.get $word))
  (i64.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 8))) (local.get $word))
  (return))
  ;; 17-32: the first 16 and the last 16 bytes
  (local.set $word (i64.mul (i64.extend_i32_u (i32.and (local.get $val) (i32.const 255))) (i64.const 0x0101010101010101)))
  (i64.store align=1 (local.get $dst) (local.get $word))
  (i64.store offset=8 align=1 (local.get $dst) (local.get $word))
  (i64.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 16))) (local.get $word))
  (i64.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 8))) (local.get $word))
  (return))
  ;; 33 and more: 32 bytes a step, then the last 32 bytes
  (local.set $word (i64.mul (i64.extend_i32_u (i32.and (local.get $val) (i32.const 255))) (i64.const 0x0101010101010101)))
  (block $done
   (loop $step
    (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 32)) (local.get $size)))
    (local.set $x (i32.add (local.get $dst) (local.get $i)))
    (i64.store offset=0 align=1 (local.get $x) (local.get $word))
    (i64.store offset=8 align=1 (local.get $x) (local.get $word))
    (i64.store offset=16 align=1 (local.get $x) (local.get $word))
    (i64.store offset=24 align=1 (local.get $x) (local.get $word))
    (local.set $i (i32.add (local.get $i) (i32.const 32)))
    (br $step)))
  (i64.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 32))) (local.get $word))
  (i64.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 24))) (local.get $word))
  (i64.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 16))) (local.get $word))
  (i64.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 8))) (local.get $word))
 )
