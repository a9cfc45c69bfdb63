#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One target per process, as the original expand-template runs: load
# Text::Template and the emulated esmith modules, expand, write the file
# (temp file, rename). The program-run side of the benchmark.
#
# usage: perl-expand-template.pl ROOT /target
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../tests/oracle/lib";
use EsmithOracle;

my ($root, $target) = @ARGV;
die "usage: $0 ROOT /target\n" unless $target;
my %r = EsmithOracle::expand(root => $root, target => $target);
die map { "$_\n" } @{ $r{errors} } if @{ $r{errors} };
my $out = "$root$r{output}";
CORE::open(my $fh, '>', "$out.$$") or die "$out.$$: $!";
print $fh $r{text};
close $fh or die "$out.$$: $!";
rename("$out.$$", $out) or die "$out: $!";
