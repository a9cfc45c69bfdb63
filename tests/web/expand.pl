#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
# Expand one target from a fragment directory with Debian's Text::Template,
# as SME's esmith::templates does: fragments in byte order of name
# (template-begin first, template-end last), one shared package, the
# configuration records as variables. The output goes to stdout.
# Usage: expand.pl FRAGMENT_DIR   (ESMITH_ROOT names the sandbox root)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/perl";
use Text::Template;
use esmith::ConfigDB;

my $dir = shift or die "usage: expand.pl FRAGMENT_DIR\n";
opendir(my $dh, $dir) or die "expand.pl: $dir: $!\n";
my @names = grep { -f "$dir/$_" && -s "$dir/$_" } readdir $dh;
closedir $dh;
my %rank = ('template-begin' => 0, 'template-end' => 2);
@names = sort {
    ($rank{$a} // 1) <=> ($rank{$b} // 1) || $a cmp $b
} @names;

my $db = esmith::ConfigDB->open_ro('configuration');
{
    # $key: the raw stored value of every record; %key: the properties
    # (with type) of records that have any; $DB: the database.
    no strict 'refs';
    my $pkg = 'esmith::__TEMPLATE__';
    ${"${pkg}::DB"} = $db;
    ${"${pkg}::confref"} = {};
    foreach my $rec ($db ? $db->get_all : ()) {
        my %p = $rec->props;
        ${"${pkg}::" . $rec->key} = $rec->raw;
        %{"${pkg}::" . $rec->key} = %p if keys %p > 1;
    }
}

my $failed = 0;
binmode STDOUT;
foreach my $name (@names) {
    my $t = Text::Template->new(TYPE => 'FILE', SOURCE => "$dir/$name")
        or die "expand.pl: $name: $Text::Template::ERROR\n";
    my $out = $t->fill_in(
        PACKAGE => 'esmith::__TEMPLATE__',
        BROKEN => sub {
            my %a = @_;
            $failed = 1;
            print STDERR "ERROR in $name: $a{error}";
            return '';
        });
    die "expand.pl: $name: $Text::Template::ERROR\n" unless defined $out;
    print $out;
}
exit($failed ? 1 : 0);
