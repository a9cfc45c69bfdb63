# SPDX-License-Identifier: GPL-2.0-or-later
# The part of SME's esmith::ConfigDB the web fragments use, reading the
# flat-file databases below $ESMITH_ROOT, so that Debian's Text::Template
# can expand them as the original would (the oracle for tests/web).
package esmith::ConfigDB;
use strict;
use warnings;

sub _path {
    my ($name) = @_;
    return $name if $name =~ m{/};
    if ($name eq 'configuration' && $ENV{ESMITH_CONFIG_DB}) {
        return $ENV{ESMITH_CONFIG_DB};
    }
    return ($ENV{ESMITH_ROOT} || '') . "/home/e-smith/db/$name";
}

# Split a stored value on '|' not escaped, undoing \| \n \\.
sub _fields {
    my ($raw) = @_;
    my @f = ('');
    for (my $i = 0; $i < length $raw; $i++) {
        my $c = substr($raw, $i, 1);
        if ($c eq '\\' && $i + 1 < length $raw) {
            my $n = substr($raw, ++$i, 1);
            $f[-1] .= $n eq 'n' ? "\n" : $n;
        } elsif ($c eq '|') {
            push @f, '';
        } else {
            $f[-1] .= $c;
        }
    }
    return @f;
}

sub open_ro {
    my ($class, $name) = @_;
    my $file = _path($name || 'configuration');
    open(my $fh, '<', $file) or return undef;
    my %rec;
    while (my $line = <$fh>) {
        chomp $line;
        next if $line =~ /^\s*(#|$)/;
        my ($key, $raw) = split /=/, $line, 2;
        $raw = '' unless defined $raw;
        my ($type, @kv) = _fields($raw);
        my %p = (type => $type);
        while (@kv) {
            my $k = shift @kv;
            my $v = shift @kv;
            $p{$k} = defined $v ? $v : '';
        }
        $rec{$key} = bless { key => $key, raw => $raw, props => \%p },
            'esmith::ConfigDB::Record';
    }
    close $fh;
    return bless { records => \%rec }, $class;
}
*open = \&open_ro;

sub get { my ($self, $key) = @_; return $self->{records}{$key}; }

sub get_all {
    my ($self) = @_;
    return map { $self->{records}{$_} } sort keys %{ $self->{records} };
}

sub get_all_by_prop {
    my ($self, $prop, $value) = @_;
    return grep { defined $_->prop($prop) && $_->prop($prop) eq $value }
        $self->get_all;
}

sub get_prop {
    my ($self, $key, $prop) = @_;
    my $r = $self->get($key) or return undef;
    return $r->prop($prop);
}

sub get_value {
    my ($self, $key) = @_;
    my $r = $self->get($key) or return undef;
    return $r->prop('type');
}

sub records { my ($self) = @_; return $self->{records}; }

package esmith::ConfigDB::Record;

sub key { return $_[0]{key}; }
sub prop { return $_[0]{props}{ $_[1] }; }
sub raw { return $_[0]{raw}; }
sub props { return %{ $_[0]{props} }; }

1;
