#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The original signal-event's algorithm in Perl, as the peer in
# bench/events.sh: list the event directory, add the implicit
# S05generic_template_expand / S90adjust-services, sort, run each handler
# through a pipe capturing its output line by line, time it with
# Time::HiRes and build the log line. (The original also loads the esmith
# modules and writes to syslog; both are left out, so this is a lower
# bound for it.) With TEMPLATES_IN_PROCESS=1 and the expand oracle
# (tests/oracle/lib) present, targets are expanded in-process with it, as
# the original's generic_template_expand does with esmith::templates.
#
# usage: esmith-event.pl ROOT EVENT [args...]
use strict;
use warnings;
use Time::HiRes qw(gettimeofday tv_interval);
use FindBin;
use File::Find;

my ($root, $event, @args) = @ARGV;
die "usage: $0 ROOT EVENT [args...]\n" unless defined $event;
my $dir = "$root/etc/e-smith/events/$event";
my $actions = "$root/etc/e-smith/events/actions";
opendir(my $dh, $dir) or die "$dir: $!\n";
my @handlers = grep { !/^\.\.?$/ && !-d "$dir/$_" } readdir $dh;
closedir $dh;
push @handlers, 'S05generic_template_expand' if -d "$dir/templates2expand";
push @handlers, 'S90adjust-services'         if -d "$dir/services2adjust";
my @log = ("Processing event: " . join(' ', $event, @args));
my $failed = 0;

sub expand_in_process {
	my @targets;
	find({ no_chdir => 1, wanted => sub {
		push @targets, substr($_, length("$dir/templates2expand")) if -f $_;
	} }, "$dir/templates2expand");
	require lib;
	lib->import("$FindBin::Bin/../tests/oracle/lib");
	require EsmithOracle;
	for my $t (sort @targets) {
		my %r = EsmithOracle::expand(root => $root, target => $t,
			more_data => { EVENT => $event });
		die map { "$_\n" } @{ $r{errors} } if @{ $r{errors} };
		my $out = "$root$r{output}";
		open(my $fh, '>', "$out.$$") or die "$out.$$: $!";
		print $fh $r{text};
		close $fh or die "$out.$$: $!";
		rename("$out.$$", $out) or die "$out: $!";
	}
	return 0;
}

for my $h (sort @handlers) {
	my $path = "$dir/$h";
	$path = "$actions/generic_template_expand" if $h eq 'S05generic_template_expand';
	$path = "$actions/adjust-services"         if $h eq 'S90adjust-services';
	my $start = [gettimeofday];
	my $status;
	if ($h eq 'S05generic_template_expand' && $ENV{TEMPLATES_IN_PROCESS}) {
		$status = eval { expand_in_process() } // 1;
	} else {
		unless (-x $path) {
			push @log, "Skipping non-executable event handler: $path";
			next;
		}
		push @log, "Running event handler: $path";
		my $pid = open(my $fh, '-|');
		die "fork: $!\n" unless defined $pid;
		if (!$pid) {
			open(STDERR, '>&', \*STDOUT);
			exec($path, $event, @args) or exit 127;
		}
		while (my $line = <$fh>) {
			chomp $line;
			push @log, "$h: $line";
		}
		close $fh;
		$status = $?;
	}
	my $end = [gettimeofday];
	my $l = "$h=action|Event|$event|Action|$h|Start|@$start|End|@$end"
		. "|Elapsed|" . tv_interval($start, $end);
	$l .= "|Status|$status" if $status;
	push @log, $l;
	$failed = 1 if $status;
}
exit $failed;
