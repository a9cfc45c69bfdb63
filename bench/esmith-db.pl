#!/usr/bin/perl
# The peer for bench/db.sh: the original's flat-file algorithm in Perl
# (esmith::config's read: split each line on the first '=', properties on
# an unescaped '|'; write: sorted keys, temp file, rename under a flock on
# <file>.lock), with the `db` commands the benchmark uses.
use strict;
use warnings;
use Fcntl qw(:DEFAULT :flock);

my ($file, $cmd, @args) = @ARGV;

sub readconf {
	my %h;
	open(my $fh, '<', $file) or return \%h;
	while (my $line = <$fh>) {
		next if $line =~ /^\s*#/ || $line =~ /^\s*$/;
		chomp $line;
		my ($k, $v) = split /=/, $line, 2;
		$h{$k} = defined $v ? $v : '';
	}
	close $fh;
	return \%h;
}

sub props {
	my ($raw) = @_;
	my ($type, %p) = split /(?<!\\)\|/, $raw, -1;
	for (values %p) { s/\\\|/|/g; s/\\n/\n/g if defined }
	return ($type, \%p);
}

if ($cmd eq 'keys') {
	my $h = readconf();
	print "$_\n" for sort keys %$h;
} elsif ($cmd eq 'getprop') {
	my $h = readconf();
	exit 1 unless exists $h->{$args[0]};
	my (undef, $p) = props($h->{$args[0]});
	exit 1 unless defined $p->{$args[1]};
	print $p->{$args[1]}, "\n";
} elsif ($cmd eq 'setprop') {
	open(my $lk, '>>', "$file.lock") or die;
	flock($lk, LOCK_EX) or die;
	my $h = readconf();
	exit 0 unless exists $h->{$args[0]};
	my ($type, $p) = props($h->{$args[0]});
	$p->{$args[1]} = $args[2];
	$h->{$args[0]} = join '|', $type,
	    map { my $v = $p->{$_}; $v =~ s/\|/\\|/g; $v =~ s/\n/\\n/g; ($_, $v) }
	    sort keys %$p;
	open(my $out, '>', "$file.$$") or die;
	printf $out "# DO NOT MODIFY THIS FILE.\n# updated: %s\n", scalar localtime;
	print $out "$_=$h->{$_}\n" for sort keys %$h;
	close $out or die;
	rename "$file.$$", $file or die;
}
