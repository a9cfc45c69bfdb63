#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The expectations of tests/tmpl/*.cases come from Perl: this script fills
# in every fragment with Text::Template (each in a fresh package, as one
# expansion) and checks that the stored output is what Perl prints. With
# --write it rewrites the outputs from Perl instead (to add cases).
# test-tmpl.c checks the C engine against the same files.
#
# Case format: `=== name` starts a case; its fragment runs to `--- output`
# (or `--- error REGEX`); the output runs to the next `===` or the end.
# A fragment or output is its lines joined by "\n", without a final
# newline: a trailing empty line stands for a final newline.
#
# usage: lang-oracle.pl [--write] FILE...
use strict;
use warnings;
use Text::Template;

my $write = @ARGV && $ARGV[0] eq '--write' ? shift @ARGV : 0;
die "usage: $0 [--write] FILE...\n" unless @ARGV;

sub parse_cases {
	my ($text) = @_;
	my @cases;
	my @lines = split /\n/, $text, -1;
	pop @lines if @lines && $lines[-1] eq '';
	my $cur;
	my $part;
	for my $l (@lines) {
		if ($l =~ /^=== (.*)$/) {
			$cur = { name => $1, src => [], out => [], kind => 'output' };
			push @cases, $cur;
			$part = 'src';
		} elsif ($cur && $l =~ /^--- output$/) {
			$part = 'out';
		} elsif ($cur && $l =~ /^--- error (.*)$/) {
			$cur->{kind} = 'error';
			$cur->{error} = $1;
			$part = 'out';
		} elsif ($cur) {
			push @{ $cur->{$part} }, $l;
		}
	}
	for my $c (@cases) {
		$c->{src} = join "\n", @{ $c->{src} };
		$c->{out} = join "\n", @{ $c->{out} };
	}
	return @cases;
}

my $n = 0;
sub perl_fill {
	my ($src) = @_;
	$n++;
	my $err = '';
	my $t = Text::Template->new(TYPE => 'STRING', SOURCE => $src)
		or return (undef, "scan: $Text::Template::ERROR");
	local $SIG{__WARN__} = sub { };
	my $r = $t->fill_in(PACKAGE => "LangOracle::P$n",
		BROKEN => sub { my %a = @_; $err .= $a{error}; '' });
	return ($r, $err);
}

my ($pass, $fail) = (0, 0);
for my $file (@ARGV) {
	open my $fh, '<', $file or die "$file: $!\n";
	my $text = do { local $/; <$fh> };
	close $fh;
	my @cases = parse_cases($text);
	my $new = '';
	for my $c (@cases) {
		my ($out, $err) = perl_fill($c->{src});
		my $ok;
		if ($c->{kind} eq 'error') {
			$ok = $err ne '' || !defined $out;
		} else {
			$ok = $err eq '' && defined $out && $out eq $c->{out};
		}
		if ($write) {
			$new .= "=== $c->{name}\n$c->{src}\n";
			if ($c->{kind} eq 'error') {
				$new .= "--- error $c->{error}\n";
			} else {
				$new .= "--- output\n" . ($out // '') . "\n";
			}
			next;
		}
		if ($ok) {
			$pass++;
			print "ok - $file: $c->{name}\n";
		} else {
			$fail++;
			print "not ok - $file: $c->{name}\n";
			print "# perl: ", (defined $out ? "'$out'" : 'undef'),
				($err ne '' ? " error: $err" : ''), "\n";
			print "# stored: '$c->{out}'\n";
		}
	}
	if ($write) {
		open my $oh, '>', $file or die "$file: $!\n";
		print $oh $new;
		close $oh;
	}
}
exit 0 if $write;
print "$pass passed, $fail failed\n";
exit($fail ? 1 : 0);
