 ;; memory.copy for cosmwasm-vm, which refuses bulk memory (scripts/build-contracts.sh puts it in
 ;; place of binaryen's lowering; tests/wasm/tests/memory_ops.rs checks it against copy_within).
 ;; The VM prices every operator at 115 gas and every branch, block end, call and return at 14
 ;; times that, so the code branches as little as it can: one br_table on the size picks
 ;; straight-line code for 0-32 bytes (most copies are a few bytes: a char, a key, a field), and
 ;; longer copies move 32 bytes per loop step.
 (func $__loopin_memory_copy (param $dst i32) (param $src i32) (param $size i32)
  (local $i i32) (local $x i32) (local $y i32) (local $end i32)
  (local $w0 i64) (local $w1 i64) (local $w2 i64) (local $w3 i64)
  (local $t0 i64) (local $t1 i64) (local $t2 i64) (local $t3 i64)
  ;; memory.copy traps before writing anything when either range leaves memory
  (local.set $end (i32.shl (memory.size) (i32.const 16)))
  (if (i32.or (i32.gt_u (i32.add (local.get $dst) (local.get $size)) (local.get $end)) (i32.gt_u (i32.add (local.get $src) (local.get $size)) (local.get $end)))
   (then (unreachable)))
  ;; Every size up to 32 is straight-line code: all of the source is loaded before any
  ;; of it is stored, which is right for any overlap. One br_table picks the case.
  (block $big (block $c17_32 (block $c8_16 (block $c4_7 (block $c2_3 (block $c1 (block $c0
   (br_table $c0 $c1 $c2_3 $c2_3 $c4_7 $c4_7 $c4_7 $c4_7 $c8_16 $c8_16 $c8_16 $c8_16 $c8_16 $c8_16 $c8_16 $c8_16 $c8_16 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $c17_32 $big
    (select (local.get $size) (i32.const 33) (i32.lt_u (local.get $size) (i32.const 33)))))
   (return))
  ;; 1
  (i32.store8 (local.get $dst) (i32.load8_u (local.get $src)))
  (return))
  ;; 2-3: two halfwords, the second ending at the last byte
  (local.set $x (i32.load16_u align=1 (local.get $src)))
  (local.set $y (i32.load16_u align=1 (i32.add (local.get $src) (i32.sub (local.get $size) (i32.const 2)))))
  (i32.store16 align=1 (local.get $dst) (local.get $x))
  (i32.store16 align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 2))) (local.get $y))
  (return))
  ;; 4-7: two words
  (local.set $x (i32.load align=1 (local.get $src)))
  (local.set $y (i32.load align=1 (i32.add (local.get $src) (i32.sub (local.get $size) (i32.const 4)))))
  (i32.store align=1 (local.get $dst) (local.get $x))
  (i32.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 4))) (local.get $y))
  (return))
  ;; 8-16: two doublewords
  (local.set $w0 (i64.load align=1 (local.get $src)))
  (local.set $t0 (i64.load align=1 (i32.add (local.get $src) (i32.sub (local.get $size) (i32.const 8)))))
  (i64.store align=1 (local.get $dst) (local.get $w0))
  (i64.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 8))) (local.get $t0))
  (return))
  ;; 17-32: the first 16 and the last 16 bytes
  (local.set $w0 (i64.load align=1 (local.get $src)))
  (local.set $w1 (i64.load offset=8 align=1 (local.get $src)))
  (local.set $t0 (i64.load align=1 (i32.add (local.get $src) (i32.sub (local.get $size) (i32.const 16)))))
  (local.set $t1 (i64.load align=1 (i32.add (local.get $src) (i32.sub (local.get $size) (i32.const 8)))))
  (i64.store align=1 (local.get $dst) (local.get $w0))
  (i64.store offset=8 align=1 (local.get $dst) (local.get $w1))
  (i64.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 16))) (local.get $t0))
  (i64.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 8))) (local.get $t1))
  (return))
  ;; 33 and more: 32 bytes a step, each step loading before it stores. The 32 bytes at
  ;; the far end of the walk are loaded first and stored last: they cover what the steps
  ;; leave over, with the values they held before anything was written.
  (if (i32.le_u (local.get $dst) (local.get $src))
   (then
    (local.set $t0 (i64.load align=1 (i32.add (local.get $src) (i32.sub (local.get $size) (i32.const 32)))))
    (local.set $t1 (i64.load align=1 (i32.add (local.get $src) (i32.sub (local.get $size) (i32.const 24)))))
    (local.set $t2 (i64.load align=1 (i32.add (local.get $src) (i32.sub (local.get $size) (i32.const 16)))))
    (local.set $t3 (i64.load align=1 (i32.add (local.get $src) (i32.sub (local.get $size) (i32.const 8)))))
    (block $done
     (loop $step
      (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 32)) (local.get $size)))
      (local.set $x (i32.add (local.get $src) (local.get $i)))
      (local.set $y (i32.add (local.get $dst) (local.get $i)))
      (local.set $w0 (i64.load offset=0 align=1 (local.get $x)))
      (local.set $w1 (i64.load offset=8 align=1 (local.get $x)))
      (local.set $w2 (i64.load offset=16 align=1 (local.get $x)))
      (local.set $w3 (i64.load offset=24 align=1 (local.get $x)))
      (i64.store offset=0 align=1 (local.get $y) (local.get $w0))
      (i64.store offset=8 align=1 (local.get $y) (local.get $w1))
      (i64.store offset=16 align=1 (local.get $y) (local.get $w2))
      (i64.store offset=24 align=1 (local.get $y) (local.get $w3))
      (local.set $i (i32.add (local.get $i) (i32.const 32)))
      (br $step)))
    (i64.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 32))) (local.get $t0))
    (i64.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 24))) (local.get $t1))
    (i64.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 16))) (local.get $t2))
    (i64.store align=1 (i32.add (local.get $dst) (i32.sub (local.get $size) (i32.const 8))) (local.get $t3))
   )
   (else
    (local.set $t0 (i64.load offset=0 align=1 (local.get $src)))
    (local.set $t1 (i64.load offset=8 align=1 (local.get $src)))
    (local.set $t2 (i64.load offset=16 align=1 (local.get $src)))
    (local.set $t3 (i64.load offset=24 align=1 (local.get $src)))
    (local.set $i (local.get $size))
    (block $back_done
     (loop $back_step
      (br_if $back_done (i32.lt_u (local.get $i) (i32.const 32)))
      (local.set $i (i32.sub (local.get $i) (i32.const 32)))
      (local.set $x (i32.add (local.get $src) (local.get $i)))
      (local.set $y (i32.add (local.get $dst) (local.get $i)))
      (local.set $w0 (i64.load offset=0 align=1 (local.get $x)))
      (local.set $w1 (i64.load offset=8 align=1 (local.get $x)))
      (local.set $w2 (i64.load offset=16 align=1 (local.get $x)))
      (local.set $w3 (i64.load offset=24 align=1 (local.get $x)))
      (i64.store offset=0 align=1 (local.get $y) (local.get $w0))
      (i64.store offset=8 align=1 (local.get $y) (local.get $w1))
      (i64.store offset=16 align=1 (local.get $y) (local.get $w2))
      (i64.store offset=24 align=1 (local.get $y) (local.get $w3))
      (br $back_step)))
    (i64.store offset=0 align=1 (local.get $dst) (local.get $t0))
    (i64.store offset=8 align=1 (local.get $dst) (local.get $t1))
    (i64.store offset=16 align=1 (local.get $dst) (local.get $t2))
    (i64.store offset=24 align=1 (local.get $dst) (local.get $t3))
   ))
 )
