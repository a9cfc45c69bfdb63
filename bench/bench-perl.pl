#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The reference side of bench-expand: expand every target of a benchmark
# root with Text::Template (tests/oracle/lib/EsmithOracle.pm) in this one
# process, ROUNDS times each; print `<target> <seconds>` lines and a total.
#
# usage: bench-perl.pl ROOT TARGETS-FILE ROUNDS
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../tests/oracle/lib";
use EsmithOracle;
use Time::HiRes qw(time);

my ($root, $list, $rounds) = @ARGV;
die "usage: $0 ROOT TARGETS-FILE ROUNDS\n" unless $rounds;
CORE::open(my $fh, '<', $list) or die "$list: $!";
chomp(my @targets = grep { /\S/ } <$fh>);
my $total = 0;
for my $t (@targets) {
	my $t0 = time;
	for (1 .. $rounds) {
		my %r = EsmithOracle::expand(root => $root, target => $t);
		die "bench-perl: $t: @{ $r{errors} }\n" if @{ $r{errors} };
	}
	my $mean = (time - $t0) / $rounds;
	printf "%s %.9f\n", $t, $mean;
	$total += $mean;
}
printf "total %.9f\n", $total;
