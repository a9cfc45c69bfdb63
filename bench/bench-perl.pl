#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The reference side of bench-expand: expand every target of a benchmark
# root with Text::Template (tests/oracle/lib/EsmithOracle.pm) in this one
# process, ROUNDS times each; print `<target> <wall> <cpu>` lines (mean
# seconds per expansion) and a total.
#
# usage: bench-perl.pl ROOT TARGETS-FILE ROUNDS
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../tests/oracle/lib";
use EsmithOracle;
use Time::HiRes qw(time clock_gettime CLOCK_PROCESS_CPUTIME_ID);

my ($root, $list, $rounds) = @ARGV;
die "usage: $0 ROOT TARGETS-FILE ROUNDS\n" unless $rounds;
CORE::open(my $fh, '<', $list) or die "$list: $!";
chomp(my @targets = grep { /\S/ } <$fh>);
my ($total, $total_cpu) = (0, 0);
for my $t (@targets) {
	my $t0 = time;
	my $c0 = clock_gettime(CLOCK_PROCESS_CPUTIME_ID);
	for (1 .. $rounds) {
		my %r = EsmithOracle::expand(root => $root, target => $t);
		die "bench-perl: $t: @{ $r{errors} }\n" if @{ $r{errors} };
	}
	my $wall = (time - $t0) / $rounds;
	my $cpu = (clock_gettime(CLOCK_PROCESS_CPUTIME_ID) - $c0) / $rounds;
	printf "%s %.9f %.9f\n", $t, $wall, $cpu;
	$total += $wall;
	$total_cpu += $cpu;
}
printf "total %.9f %.9f\n", $total, $total_cpu;
