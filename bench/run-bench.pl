#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Template expansion benchmark: the C engine against Text::Template, side
# by side on the same generated root (bench/gen-templates.pl).
#
#   per program run: one `expand-template` process per target against one
#                    `perl` process per target (bench/perl-expand-template.pl),
#                    each run RUNS times, mean wall time;
#   in process:      all targets in one C process (bench-expand) against all
#                    targets in one perl process (bench/bench-perl.pl), each
#                    target expanded ROUNDS times, mean time per expansion.
#
# The outputs of both sides are compared first: a benchmark of different
# work would be meaningless.
#
# usage: run-bench.pl BUILDDIR [TARGETS [RUNS [ROUNDS]]]   (60, 5, 20)
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use File::Path qw(make_path);
use Time::HiRes qw(time);

my ($build, $ntargets, $runs, $rounds) = @ARGV;
die "usage: $0 BUILDDIR [TARGETS [RUNS [ROUNDS]]]\n" unless $build;
$ntargets ||= 60;
$runs ||= 5;
$rounds ||= 20;
my $src = "$FindBin::Bin/..";
my $et = "$build/src/expand-template";
my $bc = "$build/bench/bench-expand";
-x $et && -x $bc or die "$0: build $et and $bc first\n";
delete $ENV{ESMITH_ROOT};
delete $ENV{ESMITH_CONFIG_DB};

my $tmp = tempdir('bench.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my ($rc, $rp) = ("$tmp/c", "$tmp/p");

sub run {
	my ($out, @cmd) = @_;
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		CORE::open(STDOUT, '>', $out // '/dev/null') or die;
		exec { $cmd[0] } @cmd;
		die "exec $cmd[0]: $!";
	}
	waitpid($pid, 0);
	die "$0: @cmd: exit " . ($? >> 8) . "\n" if $?;
}

sub slurp {
	CORE::open(my $fh, '<', $_[0]) or die "$_[0]: $!";
	local $/;
	return scalar <$fh>;
}

for my $r ($rc, $rp) {
	run("$tmp/targets", $^X, "$src/bench/gen-templates.pl", $r, $ntargets);
	make_path("$r/etc/e-smith/templates-default", "$r/etc/bench");
	run(undef, 'cp', "$src/fragments/templates-default/template-begin",
		"$r/etc/e-smith/templates-default/");
}
my @targets = split /\n/, slurp("$tmp/targets");
my %nfrag;
for my $t (@targets) {
	opendir(my $d, "$rc/etc/e-smith/templates$t") or die;
	$nfrag{$t} = grep { !/^\./ } readdir $d;
}

# 1. same output on both sides
for my $t (@targets) {
	run(undef, $et, '--root', $rc, $t);
	run(undef, $^X, "$src/bench/perl-expand-template.pl", $rp, $t);
	die "$0: $t: the outputs differ\n" if slurp("$rc$t") ne slurp("$rp$t");
}

# 2. per program run
my (%c_run, %p_run);
for my $t (@targets) {
	for my $side (['c', $rc, $et, '--root', $rc, $t],
		['p', $rp, $^X, "$src/bench/perl-expand-template.pl", $rp, $t]) {
		my ($which, $root, @cmd) = @$side;
		my $sum = 0;
		for (1 .. $runs) {
			unlink "$root$t";
			my $t0 = time;
			run(undef, @cmd);
			$sum += time - $t0;
		}
		($which eq 'c' ? \%c_run : \%p_run)->{$t} = $sum / $runs;
	}
}

# 3. in process
sub in_process {
	my ($out, @cmd) = @_;
	run($out, @cmd);
	my %m = map { split ' ' } split /\n/, slurp($out);
	return \%m;
}
my $c_in = in_process("$tmp/c.in", $bc, $rc, "$tmp/targets", $rounds);
my $p_in = in_process("$tmp/p.in", $^X, "$src/bench/bench-perl.pl", $rp,
	"$tmp/targets", $rounds);

# 4. the table
my ($cr, $pr, $ci, $pi) = (0, 0, 0, 0);
printf "%-26s %5s | %10s %10s %7s | %10s %10s %7s\n", 'target', 'frags',
	'C run ms', 'Perl run ms', 'x', 'C in us', 'Perl in us', 'x';
for my $t (@targets) {
	printf "%-26s %5d | %10.2f %10.2f %7.1f | %10.1f %10.1f %7.1f\n", $t,
		$nfrag{$t}, $c_run{$t} * 1e3, $p_run{$t} * 1e3,
		$p_run{$t} / $c_run{$t}, $c_in->{$t} * 1e6, $p_in->{$t} * 1e6,
		$p_in->{$t} / $c_in->{$t};
	$cr += $c_run{$t};
	$pr += $p_run{$t};
}
printf "%-26s %5d | %10.2f %10.2f %7.1f | %10.1f %10.1f %7.1f\n", 'total',
	eval { my $s = 0; $s += $_ for values %nfrag; $s }, $cr * 1e3, $pr * 1e3,
	$pr / $cr, $c_in->{total} * 1e6, $p_in->{total} * 1e6,
	$p_in->{total} / $c_in->{total};
printf "\n%d targets, %d runs per program, %d rounds in process; outputs identical\n",
	scalar @targets, $runs, $rounds;
