# SPDX-License-Identifier: GPL-2.0-or-later
#
# The reference side of the oracle tests: expands templates the way the
# original esmith::templates does, with Debian's Text::Template, and
# emulates the esmith database objects over the same flat files.
#
# Everything is read below a sandbox root (EsmithOracle::expand's `root`).
package EsmithOracle;

use File::Path ();
use File::Basename ();

use strict;
use warnings;
use Text::Template 1.46 ();

our $ROOT = '';
my $count = 0;

# --- the flat-file format (ESMITH.md §1) ---------------------------------

sub unescape {
	my ($s) = @_;
	$s =~ s/\\(.)/$1 eq 'n' ? "\n" : $1/ge;
	return $s;
}

# Parse `key=type|prop|value...` lines into { key => raw }.
sub read_db_file {
	my ($file) = @_;
	my %raw;
	open(my $fh, '<', $file) or return undef;
	while (my $line = <$fh>) {
		chomp $line;
		next if $line =~ /^\s*(#|$)/;
		my ($k, $v) = split /=/, $line, 2;
		$raw{$k} = defined $v ? $v : '';
	}
	close $fh;
	return \%raw;
}

# Split a raw value into (type, prop => value, ...).
sub split_raw {
	my ($raw) = @_;
	my @f = map { unescape($_) } split /(?<!\\)\|/, $raw, -1;
	@f = ('') unless @f;
	return @f;
}

sub db_path {
	my ($name) = @_;
	return $name if $name =~ m{/};
	return "$ROOT/home/e-smith/db/$name";
}

# --- esmith::DB::db and its records ---------------------------------------

package esmith::DB::db;

sub _default_name { 'configuration' }

sub open {
	my ($class, $name) = @_;
	$name = $class->_default_name unless defined $name;
	my $raw = EsmithOracle::read_db_file(EsmithOracle::db_path($name));
	return undef unless $raw;
	return bless { name => $name, config => $raw }, $class;
}

sub open_ro { my $class = shift; return $class->open(@_) }

sub get {
	my ($self, $key) = @_;
	return undef unless defined $key && exists $self->{config}{$key};
	return bless { db => $self, key => $key }, 'esmith::DB::db::Record';
}

sub get_all {
	my ($self) = @_;
	return map { $self->get($_) } sort keys %{ $self->{config} };
}

sub get_all_by_prop {
	my ($self, $prop, $val) = @_;
	return grep {
		my $p = $_->prop($prop);
		defined $p && $p eq $val
	} $self->get_all;
}

sub get_prop {
	my ($self, $key, $prop) = @_;
	my $rec = $self->get($key) or return undef;
	return $rec->prop($prop);
}

sub get_value {
	my ($self, $key) = @_;
	my $rec = $self->get($key) or return undef;
	return $rec->value;
}

sub set_prop {
	my ($self, $key, $prop, $val) = @_;
	my $rec = $self->get($key) or return undef;
	return $rec->set_prop($prop, $val);
}

sub keys {
	my ($self) = @_;
	return sort keys %{ $self->{config} };
}

package esmith::DB::db::Record;

sub key { $_[0]{key} }

sub _fields {
	my ($self) = @_;
	return EsmithOracle::split_raw($self->{db}{config}{ $self->{key} });
}

sub props {
	my ($self) = @_;
	my ($type, %p) = $self->_fields;
	$p{type} = $type;
	return wantarray ? %p : scalar(keys %p);
}

sub prop {
	my ($self, $prop) = @_;
	my %p = $self->props;
	return $p{$prop};
}

sub value { my %p = $_[0]->props; return $p{type} }

sub _store {
	my ($self, %p) = @_;
	my $esc = sub { my $s = shift; $s =~ s/\\/\\\\/g; $s =~ s/\|/\\|/g;
		$s =~ s/\n/\\n/g; $s };
	my $type = delete $p{type};
	$type = '' unless defined $type;
	$self->{db}{config}{ $self->{key} } = join '|', $esc->($type),
		map { ($_, $esc->($p{$_})) } sort keys %p;
}

sub set_prop {
	my ($self, $prop, $val) = @_;
	my %p = $self->props;
	$p{$prop} = $val;
	$self->_store(%p);
	return 1;
}

sub delete_prop {
	my ($self, $prop) = @_;
	my %p = $self->props;
	my $old = delete $p{$prop};
	$self->_store(%p);
	return $old;
}

# --- the standard databases ------------------------------------------------

package esmith::ConfigDB;
our @ISA = ('esmith::DB::db');
package esmith::AccountsDB;
our @ISA = ('esmith::DB::db');
sub _default_name { 'accounts' }
package esmith::HostsDB;
our @ISA = ('esmith::DB::db');
sub _default_name { 'hosts' }
package esmith::NetworksDB;
our @ISA = ('esmith::DB::db');
sub _default_name { 'networks' }
package esmith::DomainsDB;
our @ISA = ('esmith::DB::db');
sub _default_name { 'domains' }
package esmith::DockerContainersDB;
our @ISA = ('esmith::DB::db');
sub _default_name { 'docker_containers' }
package esmith::DockerImagesDB;
our @ISA = ('esmith::DB::db');
sub _default_name { 'docker_images' }

# --- esmith::db's functions over $confref ---------------------------------

package esmith::db;

sub db_get {
	my ($h, $key) = @_;
	return undef unless defined $key && exists $h->{$key};
	return wantarray ? EsmithOracle::split_raw($h->{$key}) : $h->{$key};
}

sub db_get_type {
	my ($h, $key) = @_;
	return undef unless defined $key && exists $h->{$key};
	my ($type) = EsmithOracle::split_raw($h->{$key});
	return $type;
}

sub db_get_prop {
	my ($h, $key, $prop) = @_;
	return undef unless defined $key && exists $h->{$key};
	my ($type, %p) = EsmithOracle::split_raw($h->{$key});
	return $p{$prop};
}

# --- esmith::templates: nested expansion from a fragment ------------------

package esmith::templates;

sub import {
	no strict 'refs';
	my $caller = caller;
	*{"${caller}::processTemplate"} = \&processTemplate;
}

# Only the string form is needed inside a fragment. Both ways of calling:
# ({ KEY => value }) and the older ($confref, $path [, $queue_dir]).
sub processTemplate {
	my ($p) = @_;
	if (@_ >= 2) {
		$p = { CONFREF => $_[0], TEMPLATE_PATH => $_[1] };
		$p->{TEMPLATE_EXPAND_QUEUE} = [ $_[2] ] if $_[2];
	}
	my %r = EsmithOracle::expand(root => $EsmithOracle::ROOT,
		target => $p->{TEMPLATE_PATH}, params => $p);
	die join("\n", @{ $r{errors} }) . "\n" if @{ $r{errors} };
	return $r{text} if $r{type} eq 'string';
	# OUTPUT_TYPE file: the output is written (or deleted), undef returned
	my $file = "$EsmithOracle::ROOT$r{output}";
	if ($r{delete}) {
		unlink $file;
		return undef;
	}
	File::Path::make_path(File::Basename::dirname($file));
	CORE::open(my $fh, '>', $file) or die "$file: $!\n";
	print $fh $r{text};
	close $fh;
	return undef;
}

package EsmithOracle;

# `use esmith::ConfigDB;` and friends in fragments load nothing.
$INC{"esmith/$_.pm"} = __FILE__
	for qw(ConfigDB AccountsDB HostsDB NetworksDB DomainsDB
	DockerContainersDB DockerImagesDB db util DB/db templates);

# What the subset refuses: make Perl refuse it too.
BEGIN {
	*CORE::GLOBAL::readpipe = sub { die "unsupported construct 'backticks'\n" };
	*CORE::GLOBAL::system = sub { die "unsupported construct 'system'\n" };
	*CORE::GLOBAL::exec = sub { die "unsupported construct 'exec'\n" };
	*CORE::GLOBAL::open = sub { die "unsupported construct 'open'\n" };
}

# --- processTemplate ------------------------------------------------------

sub _is_backup { $_[0] =~ /(~|\.(swp|orig|rpmsave|rpmnew|rpmorig))$/ }

sub _merge {
	my ($tpath, @queue) = @_;
	my %t;
	my ($saw_dir, $whole) = (0, 0);
	(my $rel = $tpath) =~ s{^/}{};
	for my $src (reverse @queue) {
		my $p = "$src/$rel";
		if (-f "$ROOT$p") {
			(my $base = $p) =~ s{.*/}{};
			%t = ($base => $p);
			$whole = 1;
		} elsif (-d "$ROOT$p") {
			%t = () if $whole;
			$whole = 0;
			$saw_dir = 1;
			opendir(my $d, "$ROOT$p") or next;
			for my $f (readdir $d) {
				next if $f eq '.' || $f eq '..';
				next if _is_backup($f);
				$t{$f} = "$p/$f" if -f "$ROOT$p/$f";
			}
			closedir $d;
		}
	}
	$t{'template-begin'} ||= '/etc/e-smith/templates-default/template-begin'
		if $saw_dir && %t;
	return %t;
}

sub _order {
	my ($x, $y) = @_;
	return 0 if $x eq $y;
	return -1 if $x eq 'template-begin' || $y eq 'template-end';
	return 1 if $x eq 'template-end' || $y eq 'template-begin';
	return $x cmp $y;
}

sub _metadata {
	my ($target) = @_;
	my %m;
	my $path = "$ROOT/etc/e-smith/templates.metadata$target";
	if (-f $path) {
		CORE::open(my $fh, '<', $path) or die "$path: $!";
		while (my $l = <$fh>) {
			chomp $l;
			next if $l =~ /^\s*(#|$)/;
			next unless $l =~ /^([^=]+)=(.*)$/;
			my ($k, $e) = ($1, $2);
			my $v = eval "package EsmithOracle::Meta; no strict; $e";
			die "metadata $k: $@" if $@;
			$m{$k} = $v;
		}
	} elsif (-d $path) {
		opendir(my $d, $path) or die "$path: $!";
		for my $k (sort readdir $d) {
			next if $k =~ /^\./ || -d "$path/$k";
			CORE::open(my $fh, '<', "$path/$k") or die "$path/$k: $!";
			my $e = do { local $/; <$fh> };
			my $v = eval "package EsmithOracle::Meta; no strict; { $e }";
			die "metadata $k: $@" if $@;
			$m{$k} = $v;
		}
	}
	return %m;
}

sub _filter_text {
	my ($text, $filter) = @_;
	return join '', map { $filter->("$_\n") } split(/\n/, $text);
}

# Expand `target` below `root`. Returns a hash: text (the output), errors
# (a list of "fragment:line: message"), and the output file's SME path.
sub expand {
	my (%o) = @_;
	local $ROOT = $o{root};
	my %p = (
		TEMPLATE_PATH => $o{target},
		OUTPUT_FILENAME => '',
		OUTPUT_PREFIX => '',
		TEMPLATE_EXPAND_QUEUE =>
			['/etc/e-smith/templates-custom', '/etc/e-smith/templates'],
		MORE_DATA => {},
		OUTPUT_TYPE => 'file',
		DELETE => 0,
		FILTER => undef,
	);
	@p{ keys %{ $o{params} } } = values %{ $o{params} } if $o{params};
	my %meta = _metadata($o{target});
	@p{ keys %meta } = values %meta;
	$p{OUTPUT_FILENAME} ||= $p{TEMPLATE_PATH};
	my $out = "$p{OUTPUT_PREFIX}/$p{OUTPUT_FILENAME}";
	$out =~ s{^//}{/};
	my %res = (output => $out, errors => [], text => '', type => $p{OUTPUT_TYPE},
		delete => $p{DELETE});
	return %res if $p{DELETE} && $p{OUTPUT_TYPE} eq 'file';

	my %t = _merge($p{TEMPLATE_PATH}, @{ $p{TEMPLATE_EXPAND_QUEUE} });
	unless (%t) {
		push @{ $res{errors} }, "$p{TEMPLATE_PATH}: no templates were found";
		return %res;
	}
	$count++;
	my $pkg = "EsmithOracle::T::$count";
	eval "package $pkg; esmith::db->import if 0; 1" or die $@;
	{
		no strict 'refs';
		*{"${pkg}::$_"} = \&{"esmith::db::$_"} for qw(db_get db_get_type db_get_prop);
	}
	my $db = esmith::ConfigDB->open;
	my (%hashes, %scalars);
	for my $rec ($db ? $db->get_all : ()) {
		my %props = $rec->props;
		$hashes{ $rec->key } = \%props if keys %props > 1;
		$scalars{ $rec->key } = $db->{config}{ $rec->key };
	}
	my $confref = $p{CONFREF} || ($db ? $db->{config} : {});
	my @vars = (\%hashes, \%scalars, { confref => \$confref, DB => \$db },
		{ %{ $p{CONFREF} || $p{MORE_DATA} || {} }, %{ $o{more_data} || {} } });

	my $text = '';
	for my $name (sort { _order($a, $b) } keys %t) {
		my $file = "$ROOT$t{$name}";
		next unless -s $file;
		my $where = $t{$name};
		my $broken = sub {
			my %a = @_;
			(my $e = $a{error}) =~ s/\n+\z//;
			push @{ $res{errors} }, "$where:$a{lineno}: $e";
			return '';
		};
		my $tt = Text::Template->new(TYPE => 'FILE', SOURCE => $file,
			UNTAINT => 1);
		unless ($tt) {
			push @{ $res{errors} }, "$where: $Text::Template::ERROR";
			next;
		}
		my $r = $tt->fill_in(HASH => \@vars, PACKAGE => $pkg,
			BROKEN => $broken);
		unless (defined $r) {
			push @{ $res{errors} }, "$where: $Text::Template::ERROR";
			next;
		}
		$text .= $r;
	}
	$text = _filter_text($text, $p{FILTER}) if defined $p{FILTER};
	$res{text} = $text;
	return %res;
}

1;
