#!/usr/bin/perl
# Replaces the byte-at-a-time functions that binaryen's --llvm-memory-copy-fill-lowering writes
# for memory.copy and memory.fill with word-at-a-time ones (scripts/wasm/memory-*.wat), in the
# text binaryen's wasm-dis prints. Usage: replace-memory-ops.pl module.wat > patched.wat
# Fails unless each function is found exactly once.
use strict;
use warnings;
use File::Basename qw(dirname);

my $dir = dirname(__FILE__);
sub slurp { local $/; open(my $f, '<', $_[0]) or die "$_[0]: $!"; my $s = <$f>; close $f; $s }
my $module = slurp($ARGV[0]);
my %templates = (
    'src' => slurp("$dir/memory-copy.wat"),
    'val' => slurp("$dir/memory-fill.wat"),
);
for my $second (sort keys %templates) {
    my $pattern = qr/\n \(func (\$\S+) \(param \$dst i32\) \(param \$$second i32\) \(param \$size i32\)\n.*?\n \)\n/s;
    my @found = ($module =~ /$pattern/g);
    die "expected one lowered memory.$second function, found " . scalar(@found) . "\n" unless @found == 1;
    my $name = $found[0];
    my $body = $templates{$second};
    $body =~ s/\(func \$\S+ /(func $name /;
    $module =~ s/$pattern/\n$body/;
}
print $module;
