#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Oracle tests: every case in tests/oracle/cases/*.test is expanded twice,
# by Text::Template through lib/EsmithOracle.pm (the reference) and by
# expand-template, each in its own sandbox root, and the outputs must be
# byte-identical. Expected-error cases check the C message and that the
# reference fails too.
#
# usage: run-oracle.pl EXPAND_TEMPLATE SRCDIR [CASE_FILE...] [--filter RE]
#
# Case file format (jq-test style): a case starts with `=== name`;
# sections start with `--- kind [args]`, their text runs to the next
# section or case (trailing blank lines dropped):
#   --- db NAME              database file /home/e-smith/db/NAME
#   --- fragment NAME [-n]   templates/<target>/NAME (-n: no final newline)
#   --- custom NAME [-n]     templates-custom/<target>/NAME
#   --- file / custom-file   a whole-file template in templates / -custom
#   --- path SMEPATH [-n]    any file below the root
#   --- metadata             templates.metadata/<target> (file form)
#   --- metadata-dir KEY     templates.metadata/<target>/KEY
#   --- target /PATH         the target (default /etc/oracle.conf)
#   --- existing             the target's content before expansion
#   --- also /PATH           another file both sides must write alike
#                            (a nested expansion's output)
# A case named `@defaults` holds sections laid out before those of each
# later case of its file (a case's own sections are written after them).
# With EXPAND_TEMPLATE `-`, only the reference side runs and its output is
# printed (to write new cases).
#   --- warning REGEX        the C side warns with a message matching REGEX
#   --- error REGEX [c-only] the C side fails with a message matching REGEX
#                            (and the reference fails too, unless c-only:
#                            Perl itself would run what the subset refuses)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EsmithOracle;
use File::Temp qw(tempdir);
use File::Path qw(make_path);
use File::Basename qw(dirname);

my ($exe, $srcdir, @files) = @ARGV;
die "usage: $0 EXPAND_TEMPLATE SRCDIR [CASES...]\n" unless $exe && $srcdir;
my $filter;
if (@files >= 2 && $files[-2] eq '--filter') {
	$filter = pop @files;
	pop @files;
}
@files = sort glob("$FindBin::Bin/cases/*.test") unless @files;
delete $ENV{ESMITH_CONFIG_DB};
delete $ENV{ESMITH_ROOT};

sub slurp {
	my ($f) = @_;
	CORE::open(my $fh, '<', $f) or return undef;
	local $/;
	my $s = <$fh>;
	close $fh;
	return $s;
}

sub spew {
	my ($f, $s) = @_;
	make_path(dirname($f));
	CORE::open(my $fh, '>', $f) or die "$f: $!";
	print $fh $s;
	close $fh or die "$f: $!";
}

sub parse_cases {
	my ($file) = @_;
	my $text = slurp($file);
	my (@cases, $case, $sec);
	my $ln = 0;
	for my $line (split /^/, $text) {
		$ln++;
		if ($line =~ /^=== (.*?)\s*$/) {
			$case = { name => $1, file => $file, line => $ln, secs => [] };
			push @cases, $case;
			$sec = undef;
		} elsif ($line =~ /^--- (\S+)\s*(.*?)\s*$/) {
			die "$file:$ln: section outside a case\n" unless $case;
			$sec = { kind => $1, args => [split ' ', $2], text => '' };
			push @{ $case->{secs} }, $sec;
		} elsif ($sec) {
			$sec->{text} .= $line;
		} elsif ($line !~ /^\s*(#.*)?$/) {
			die "$file:$ln: text outside a section\n";
		}
	}
	# `=== @defaults`: sections laid out before those of every later case
	my @defaults;
	@cases = grep {
		if ($_->{name} eq '@defaults') { @defaults = @{ $_->{secs} }; 0 }
		else { unshift @{ $_->{secs} }, @defaults; 1 }
	} @cases;
	for my $c (@cases) {
		for my $s (@{ $c->{secs} }) {
			$s->{text} =~ s/\n\n+\z/\n/;
			$s->{text} =~ s/\n\z// if grep { $_ eq '-n' } @{ $s->{args} };
		}
	}
	return @cases;
}

# Lay the case out below `root`.
sub build_root {
	my ($root, $c) = @_;
	my $begin = slurp("$srcdir/fragments/templates-default/template-begin");
	spew("$root/etc/e-smith/templates-default/template-begin", $begin);
	make_path("$root/home/e-smith/db", "$root/etc");
	spew("$root/home/e-smith/db/configuration", '')
		unless grep { $_->{kind} eq 'db' && $_->{args}[0] eq 'configuration' }
		@{ $c->{secs} };
	my $t = $c->{target};
	for my $s (@{ $c->{secs} }) {
		my ($k, $a, $x) = ($s->{kind}, $s->{args}[0], $s->{text});
		if ($k eq 'db') { spew("$root/home/e-smith/db/$a", $x) }
		elsif ($k eq 'fragment') { spew("$root/etc/e-smith/templates$t/$a", $x) }
		elsif ($k eq 'custom') { spew("$root/etc/e-smith/templates-custom$t/$a", $x) }
		elsif ($k eq 'file') { spew("$root/etc/e-smith/templates$t", $x) }
		elsif ($k eq 'custom-file') { spew("$root/etc/e-smith/templates-custom$t", $x) }
		elsif ($k eq 'path') { spew("$root$a", $x) }
		elsif ($k eq 'metadata') { spew("$root/etc/e-smith/templates.metadata$t", $x) }
		elsif ($k eq 'metadata-dir') {
			spew("$root/etc/e-smith/templates.metadata$t/$a", $x);
		}
		elsif ($k eq 'existing') { spew("$root$t", $x) }
		elsif ($k eq 'target' || $k eq 'error' || $k eq 'warning' || $k eq 'also') { }
		else { die "$c->{file}:$c->{line}: unknown section '$k'\n" }
	}
}

sub run_c {
	my ($root, $target) = @_;
	my ($out, $err) = ("$root.stdout", "$root.stderr");
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		CORE::open(STDOUT, '>', $out) or die;
		CORE::open(STDERR, '>', $err) or die;
		CORE::exec { $exe } $exe, '--root', $root, $target;
		die "exec $exe: $!";
	}
	waitpid($pid, 0);
	return ($? >> 8, slurp($out), slurp($err));
}

sub listing {
	my ($dir) = @_;
	opendir(my $d, $dir) or return '';
	return join ' ', sort grep { !/^\.\.?$/ } readdir $d;
}

# Known gaps of the C engine: `case name<TAB>reason` lines. Such a case
# still runs every time; its failure is reported as TODO, and its passing
# is a failure (the entry must then go).
my %gap;
if (CORE::open(my $g, '<', "$FindBin::Bin/known-gaps")) {
	while (<$g>) {
		chomp;
		next if /^\s*(#|$)/;
		my ($name, $why) = split /\t+/, $_, 2;
		$gap{$name} = $why // 'known gap';
	}
}

my ($pass, $fail, $n, $todo) = (0, 0, 0, 0);
my $tmp = tempdir('oracle.XXXXXX', TMPDIR => 1, CLEANUP => 1);

sub check_case {
	my ($c) = @_;
	my %sec;
	$sec{ $_->{kind} } = $_ for @{ $c->{secs} };
	$c->{target} = $sec{target} ? $sec{target}{args}[0] : '/etc/oracle.conf';
	my $want_err = $sec{error};
	my ($rp, $rc) = ("$tmp/p$n", "$tmp/c$n");
	build_root($_, $c) for $rp, $rc;
	my $before = -e "$rc$c->{target}" ? slurp("$rc$c->{target}") : undef;
	if ($want_err && !defined $before) {
		$before = "untouched\n";
		spew("$rc$c->{target}", $before);
	}
	my $dir_before = listing(dirname("$rc$c->{target}"));

	my %p = eval { EsmithOracle::expand(root => $rp, target => $c->{target}) };
	my @perr = $@ ? ("died: $@") : @{ $p{errors} };
	if ($exe eq '-') {
		print "# ---- $c->{name}\n", (@perr ? map({ "# ERROR $_\n" } @perr) : ''),
			$p{text};
		return @perr && !$want_err ? 'reference failed' : undef;
	}
	my ($code, $cout, $cerr) = run_c($rc, $c->{target});

	if ($want_err) {
		my $re = join ' ', @{ $want_err->{args} }[0];
		my $c_only = grep { $_ eq 'c-only' } @{ $want_err->{args} };
		$re = $want_err->{text} =~ /\S/ ? $want_err->{text} : $re;
		chomp $re;
		return "C side succeeded, expected an error /$re/" if $code == 0;
		return "C message does not match /$re/:\n$cerr" if $cerr !~ /$re/;
		return "reference side did not fail" if !@perr && !$c_only;
		my $after = slurp("$rc$c->{target}");
		return "target changed after a failed expansion"
			if !defined $after || $after ne $before;
		my $dir_after = listing(dirname("$rc$c->{target}"));
		return "files left behind: [$dir_after] was [$dir_before]"
			if $dir_after ne $dir_before;
		return undef;
	}
	return "reference side failed:\n" . join("\n", @perr) if @perr;
	return "C side failed (exit $code):\n$cerr" if $code != 0;
	if (my $w = $sec{warning}) {
		my $re = join ' ', @{ $w->{args} };
		return "C warnings do not match /$re/:\n$cerr" if $cerr !~ /$re/;
	}
	for my $also (grep { $_->{kind} eq 'also' } @{ $c->{secs} }) {
		my $path = $also->{args}[0];
		my ($w, $g) = (slurp("$rp$path"), slurp("$rc$path"));
		return "reference side wrote no $path" unless defined $w;
		return "C side wrote no $path" unless defined $g;
		return "$path differs:\n--- Text::Template\n$w--- expand-template\n$g"
			if $w ne $g;
	}
	my $got;
	if ($p{type} eq 'string') {
		$got = $cout;
	} elsif ($p{delete}) {
		return -e "$rc$p{output}" ? "$p{output} not deleted" : undef;
	} else {
		$got = slurp("$rc$p{output}");
		return "C side wrote no $p{output}" unless defined $got;
	}
	return undef if $got eq $p{text};
	spew("$tmp/want", $p{text});
	spew("$tmp/got", $got);
	my $pid = fork // die;
	if (!$pid) {
		CORE::open(STDOUT, '>', "$tmp/diff") or die;
		CORE::exec 'diff', '-u', '--label', 'Text::Template',
			'--label', 'expand-template', "$tmp/want", "$tmp/got";
		exit 2;
	}
	waitpid($pid, 0);
	return "output differs:\n" . slurp("$tmp/diff");
}

for my $file (@files) {
	for my $c (parse_cases($file)) {
		next if defined $filter && $c->{name} !~ /$filter/;
		$n++;
		(my $short = $file) =~ s{.*/}{};
		my $why = check_case($c);
		if ($exe ne "-" && exists $gap{ $c->{name} }) {
			if (defined $why) {
				$todo++;
				print "not ok $n - $short: $c->{name} # TODO $gap{ $c->{name} }\n";
				print map { "# $_\n" } split /\n/, $why;
				next;
			}
			$why = "passes now: remove it from tests/oracle/known-gaps";
		}
		if (defined $why) {
			$fail++;
			print "not ok $n - $short: $c->{name}\n";
			print map { "# $_\n" } split /\n/, $why;
		} else {
			$pass++;
			print "ok $n - $short: $c->{name}\n";
		}
	}
}
print "1..$n\n";
print "# $todo known gaps (tests/oracle/known-gaps)\n" if $todo;
print "$pass passed, $fail failed\n";
exit($fail ? 1 : 0);
