#!/usr/bin/env python3
"""The GEMM challenge vector of packages/pocps/tests/vectors.json, computed from its definition
(docs/pocps.md) independently of the Rust code: SHA-256 streams, integer dot products, row
leaves, the Merkle tree. Prints the seed and the root."""
import hashlib, struct
def blk(tag, seed, i): return hashlib.sha256(b"loopin-pocps/gemm/"+tag+seed+struct.pack("<Q",i)).digest()
def stream(tag, seed, off, n):
    out=[]
    pos=off
    while len(out)<n:
        b=blk(tag,seed,pos//32); s=pos%32
        take=min(32-s,n-len(out)); out+= [x-256 if x>127 else x for x in b[s:s+take]]; pos+=take
    return out
seed=bytes(range(32)); m,k,n=13,37,11
A=[stream(b"a",seed,i*k,k) for i in range(m)]
Bt=[stream(b"bt",seed,j*k,k) for j in range(n)]
leaves=[]
for i in range(m):
    row=[sum(A[i][t]*Bt[j][t] for t in range(k)) for j in range(n)]
    leaves.append(hashlib.sha256(bytes([2])+struct.pack("<Q",i)+b"".join(struct.pack("<i",v) for v in row)).digest())
L=1
while L<len(leaves): L*=2
lv=leaves+[bytes(32)]*(L-len(leaves))
while len(lv)>1: lv=[hashlib.sha256(bytes([1])+lv[2*i]+lv[2*i+1]).digest() for i in range(len(lv)//2)]
print(seed.hex(), lv[0].hex())
