#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Template expansion benchmark: the C engine against Text::Template, side
# by side on the same generated root (bench/gen-templates.pl).
#
#   per program run: one `expand-template` process per target against one
#                    `perl` process per target (bench/perl-expand-template.pl),
#                    each run RUNS times by hyperfine, mean CPU and wall time;
#   in process:      all targets in one C process (bench-expand) against all
#                    targets in one perl process (bench/bench-perl.pl), each
#                    target expanded ROUNDS times, mean CPU and wall time per
#                    expansion.
#   instructions:    one program run of each of the first INSN targets
#                    (default 10; 0 leaves it out) on both sides under
#                    valgrind --tool=callgrind, which counts instructions:
#                    a figure that does not move with the machine's load.
#
# The per-target table shows CPU time (user + system): on a machine shared
# with other work, wall time mostly measures the scheduler. Wall totals
# are printed too.
#
# The outputs of both sides are compared first: a benchmark of different
# work would be meaningless.
#
# usage: run-bench.pl [--check] BUILDDIR [TARGETS [RUNS [ROUNDS [INSN]]]]
#        (60, 5, 20, 10)
#
# With --check, only the outputs are compared (a test, no timing).
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use File::Path qw(make_path);
use JSON::PP ();

my $check_only = @ARGV && $ARGV[0] eq '--check' ? shift : 0;
my ($build, $ntargets, $runs, $rounds, $insn) = @ARGV;
die "usage: $0 BUILDDIR [TARGETS [RUNS [ROUNDS [INSN]]]]\n" unless $build;
$insn //= 10;
$ntargets ||= 60;
$runs ||= 5;
$rounds ||= 20;
my $src = "$FindBin::Bin/..";
my $et = "$build/src/expand-template";
my $bc = "$build/bench/bench-expand";
-x $et && ($check_only || -x $bc) or die "$0: build $et and $bc first\n";
delete $ENV{ESMITH_ROOT};
delete $ENV{ESMITH_CONFIG_DB};

my $tmp = tempdir('bench.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my ($rc, $rp) = ("$tmp/c", "$tmp/p");

sub run {
	my ($out, @cmd) = @_;
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		CORE::open(STDOUT, '>', $out // '/dev/null') or die;
		CORE::open(STDERR, '>', "$tmp/stderr") or die;
		exec { $cmd[0] } @cmd;
		die "exec $cmd[0]: $!";
	}
	waitpid($pid, 0);
	die "$0: @cmd: exit " . ($? >> 8) . "\n" . slurp("$tmp/stderr") if $?;
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
my $same = 0;
for my $t (@targets) {
	run(undef, $et, '--root', $rc, $t);
	run(undef, $^X, "$src/bench/perl-expand-template.pl", $rp, $t);
	die "$0: $t: the outputs differ\n" if slurp("$rc$t") ne slurp("$rp$t");
	$same++;
}
if ($check_only) {
	print "$same passed, 0 failed\n";
	exit 0;
}

# 2. per program run, with hyperfine: mean wall time and mean CPU time
#    (user + system) of RUNS runs, the output removed before each run
my (%c_run, %p_run);
for my $t (@targets) {
	run(undef, 'hyperfine', '-N', '--style', 'none', '--warmup', '1',
		'--runs', $runs, '--export-json', "$tmp/h.json",
		'--prepare', "rm -f $rc$t", "$et --root $rc $t",
		'--prepare', "rm -f $rp$t",
		"$^X $src/bench/perl-expand-template.pl $rp $t");
	my $h = JSON::PP::decode_json(slurp("$tmp/h.json"))->{results};
	$c_run{$t} = [$h->[0]{mean}, $h->[0]{user} + $h->[0]{system}];
	$p_run{$t} = [$h->[1]{mean}, $h->[1]{user} + $h->[1]{system}];
}

# The cost of starting an empty process on this machine, for context:
# /bin/true for the C side, perl loading Text::Template for the other.
run(undef, 'hyperfine', '-N', '--style', 'none', '--warmup', '2',
	'--runs', 4 * $runs, '--export-json', "$tmp/h.json", '/bin/true',
	"$^X -MText::Template -e 1");
my @base = map { [$_->{mean}, $_->{user} + $_->{system}] }
	@{ JSON::PP::decode_json(slurp("$tmp/h.json"))->{results} };

# 3. in process: `<target> <wall> <cpu>` lines from both sides
sub in_process {
	my ($out, @cmd) = @_;
	run($out, @cmd);
	my %m = map { my ($k, @v) = split ' '; ($k => \@v) } split /\n/, slurp($out);
	return \%m;
}
my $c_in = in_process("$tmp/c.in", $bc, $rc, "$tmp/targets", $rounds);
my $p_in = in_process("$tmp/p.in", $^X, "$src/bench/bench-perl.pl", $rp,
	"$tmp/targets", $rounds);

# 4. the table: CPU time per target (robust on a shared machine), then
#    totals of CPU and of wall time
my @tot = (0) x 8;
my $fmt = "%-26s %5s | %9.2f %9.2f %6.1f | %9.1f %9.1f %6.1f\n";
printf "%-26s %5s | %9s %9s %6s | %9s %9s %6s\n", '', '', 'per run', '',
	'', 'in process', '', '';
printf "%-26s %5s | %9s %9s %6s | %9s %9s %6s\n", 'target (CPU time)',
	'frags', 'C ms', 'Perl ms', 'x', 'C us', 'Perl us', 'x';
my $nf = 0;
for my $t (@targets) {
	my @r = ($c_run{$t}[1], $p_run{$t}[1], $c_in->{$t}[1], $p_in->{$t}[1]);
	printf $fmt, $t, $nfrag{$t}, $r[0] * 1e3, $r[1] * 1e3, $r[1] / $r[0],
		$r[2] * 1e6, $r[3] * 1e6, $r[3] / $r[2];
	$tot[$_] += $r[$_] for 0 .. 3;
	$tot[4] += $c_run{$t}[0];
	$tot[5] += $p_run{$t}[0];
	$nf += $nfrag{$t};
}
printf $fmt, 'total, CPU time', $nf, $tot[0] * 1e3, $tot[1] * 1e3,
	$tot[1] / $tot[0], $c_in->{total}[1] * 1e6, $p_in->{total}[1] * 1e6,
	$p_in->{total}[1] / $c_in->{total}[1];
printf $fmt, 'total, wall time', $nf, $tot[4] * 1e3, $tot[5] * 1e3,
	$tot[5] / $tot[4], $c_in->{total}[0] * 1e6, $p_in->{total}[0] * 1e6,
	$p_in->{total}[0] / $c_in->{total}[0];
printf "%-26s %5s | %9.2f %9.2f %6s | (an empty process: /bin/true, perl -MText::Template)\n",
	'startup, CPU time', '', $base[0][1] * 1e3, $base[1][1] * 1e3, '';

# 5. instructions of one program run (callgrind), first $insn targets
sub insns {
	my (@cmd) = @_;
	run(undef, 'valgrind', '--tool=callgrind',
		"--callgrind-out-file=$tmp/cg.out", @cmd);
	slurp("$tmp/stderr") =~ /Collected : (\d+)/
		or die "$0: no instruction count from valgrind for @cmd\n";
	return $1;
}
if ($insn > 0) {
	my @it = @targets[0 .. ($insn > @targets ? @targets : $insn) - 1];
	my ($ct, $pt) = (0, 0);
	my $ifmt = "%-26s %5s | %12.2f %12.2f %6.1f\n";
	printf "\n%-26s %5s | %12s %12s %6s\n", 'instructions of one run',
		'frags', 'C million', 'Perl million', 'x';
	for my $t (@it) {
		unlink "$rc$t", "$rp$t";
		my $c = insns($et, '--root', $rc, $t);
		my $p = insns($^X, "$src/bench/perl-expand-template.pl", $rp, $t);
		die "$0: $t: the outputs differ\n" if slurp("$rc$t") ne slurp("$rp$t");
		printf $ifmt, $t, $nfrag{$t}, $c / 1e6, $p / 1e6, $p / $c;
		$ct += $c;
		$pt += $p;
	}
	printf $ifmt, "total, " . @it . " targets", '', $ct / 1e6, $pt / 1e6,
		$pt / $ct;
	my $c0 = insns('/bin/true');
	my $p0 = insns($^X, '-MText::Template', '-e', '1');
	printf "%-26s %5s | %12.2f %12.2f %6s | (an empty process)\n",
		'startup', '', $c0 / 1e6, $p0 / 1e6, '';
}

if (CORE::open(my $la, '<', '/proc/loadavg')) {
	printf "\nload average at the end of the run: %s", scalar <$la>;
}
printf "%d targets, %d runs per program (hyperfine), %d rounds in process; outputs identical\n",
	scalar @targets, $runs, $rounds;
