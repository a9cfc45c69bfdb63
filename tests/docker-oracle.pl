#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
#
# docker-oracle.pl ROOT TARGET [NAME=VALUE...]
#
# Expand TARGET below the sandbox ROOT (templates installed in it) with
# Debian's Text::Template through the oracle library, MORE_DATA from the
# NAME=VALUE arguments; print the text. Errors go to stderr, exit 1.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/oracle/lib";
use EsmithOracle;

my ($root, $target, @more) = @ARGV;
die "usage: $0 ROOT TARGET [NAME=VALUE...]\n" unless $root && $target;
my %more = map { /^([^=]+)=(.*)$/s ? ($1 => $2) : () } @more;
delete $ENV{ESMITH_CONFIG_DB};
delete $ENV{ESMITH_ROOT};
my %r = EsmithOracle::expand(root => $root, target => $target,
	more_data => \%more);
if (@{ $r{errors} }) {
	print STDERR "$_\n" for @{ $r{errors} };
	exit 1;
}
print $r{text};
