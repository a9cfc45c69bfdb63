#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Lay out a benchmark root: a configuration database shaped like an SME
# server's, accounts and docker databases, and TARGETS targets (default 60)
# of 5 to 15 fragments each, drawn from a pool of SME-like fragments
# (service settings, loops over records, heredocs, conditionals).
# Deterministic: the same root every time.
#
# usage: gen-templates.pl ROOT [TARGETS]
use strict;
use warnings;
use File::Path qw(make_path remove_tree);

my ($root, $ntargets) = @ARGV;
die "usage: $0 ROOT [TARGETS]\n" unless $root;
$ntargets ||= 60;
remove_tree($root);

sub spew {
	my ($path, $text) = @_;
	(my $dir = "$root$path") =~ s{/[^/]*$}{};
	make_path($dir);
	open(my $fh, '>', "$root$path") or die "$root$path: $!";
	print $fh $text;
	close $fh;
}

# --- databases ---------------------------------------------------------
my @conf = (
	'DomainName=example.com', 'SystemName=server', 'LocalIP=192.168.1.1',
	'LocalNetmask=255.255.255.0', 'ExternalIP=203.0.113.10',
	'SystemMode=servergateway', 'TimeZone=Europe/Paris',
	'AdminEmail=admin@example.com', 'UnsavedChanges=no',
	'sysconfig=configuration|ReleaseVersion|11.0|Version|11.0.0',
	'docker=service|DataRoot|/home/e-smith/files/docker|LiveRestore|yes|LogDriver|journald|status|enabled',
	'dnsmasq=service|DomainNameServers|1.1.1.1,9.9.9.9|status|enabled',
);
my $i = 0;
for my $svc (qw(sshd httpd smtpd imap pop3 ftp ntpd named squid clamd
	spamd mysqld ldap samba nmbd crond rsyslog fail2ban openvpn dhcpd)) {
	$i++;
	my $status = $i % 3 ? 'enabled' : 'disabled';
	my $access = $i % 2 ? 'public' : 'private';
	push @conf, "$svc=service|TCPPort|" . (1000 + $i * 7) .
		"|access|$access|status|$status|MaxClients|" . ($i * 10) .
		"|LogLevel|info";
}
spew('/home/e-smith/db/configuration', join("\n", sort @conf) . "\n");
my @acc;
for my $n (1 .. 40) {
	push @acc, sprintf("user%02d=user|FirstName|First%d|LastName|Last%d|Shell|/bin/%s|EmailForward|local",
		$n, $n, $n, $n % 4 ? 'bash' : 'false');
}
push @acc, "admins=group|Description|Administrators|Members|user01,user02,user03";
spew('/home/e-smith/db/accounts', join("\n", sort @acc) . "\n");
my @ct;
for my $n (1 .. 12) {
	push @ct, sprintf("app%02d=container|Image|registry.example/app%02d:1.%d|MaxMemory|%dM|Ports|%d:80|status|%s",
		$n, $n, $n, 128 * $n, 8000 + $n, $n % 4 ? 'enabled' : 'disabled');
}
spew('/home/e-smith/db/docker_containers', join("\n", @ct) . "\n");

# --- the fragment pool -------------------------------------------------
my @pool = (
	# a plain setting
	q{# settings for {$SystemName}.{$DomainName}
ServerName {$SystemName}.{$DomainName}
},
	# || defaults
	q{Port { $sshd{TCPPort} || 22 }
MaxClients { $httpd{MaxClients} || 150 }
LogLevel { $sshd{LogLevel} || 'warn' }
},
	# conditionals
	q{{
    my $mode = $SystemMode || 'serveronly';
    if ($mode eq 'servergateway') {
        $OUT .= "Gateway on\nExternal $ExternalIP\n";
    } elsif ($mode eq 'serveronly') {
        $OUT .= "Gateway off\n";
    } else {
        $OUT .= "# unknown mode $mode\n";
    }
}
},
	# a loop over services
	q{{
    foreach my $svc ($DB->get_all_by_prop(type => 'service')) {
        my $status = $svc->prop('status') || 'disabled';
        next unless $status eq 'enabled';
        my $port = $svc->prop('TCPPort');
        next unless $port;
        $OUT .= sprintf("%-10s %5d/tcp %s\n", $svc->key, $port,
            $svc->prop('access') || 'private');
    }
}
},
	# a heredoc
	q{{
    my $ip = $LocalIP;
    my $mask = $LocalNetmask;
    $OUT .= <<"EOF";
interface lan {
    address $ip
    netmask $mask
    domain  $DomainName
}
EOF
}
},
	# accounts
	q{{
    use esmith::AccountsDB;
    my $accounts = esmith::AccountsDB->open_ro;
    my @users = $accounts->get_all_by_prop(type => 'user');
    foreach my $u (@users) {
        my $shell = $u->prop('Shell') || '/bin/false';
        next if $shell eq '/bin/false';
        $OUT .= join(':', $u->key, 'x', $u->prop('FirstName') . ' ' .
            $u->prop('LastName'), $shell) . "\n";
    }
}
},
	# docker containers
	q{{
    use esmith::DockerContainersDB;
    my $cdb = esmith::DockerContainersDB->open_ro;
    foreach my $c (sort { $a->key cmp $b->key } $cdb->get_all_by_prop(type => 'container')) {
        my $status = $c->prop('status') || 'disabled';
        my $mem = $c->prop('MaxMemory') || 'unlimited';
        $OUT .= "# " if $status ne 'enabled';
        $OUT .= $c->key . " image=" . $c->prop('Image') . " memory=$mem\n";
    }
}
},
	# join / split / map
	q{{
    my @servers = split /,/, ($dnsmasq{DomainNameServers} || '');
    $OUT .= join("\n", map { "server=$_" } @servers) . "\n";
    $OUT .= "domain=$DomainName\n";
}
},
	# regex
	q{{
    my ($net) = $LocalIP =~ /^(\d+\.\d+\.\d+)\.\d+$/;
    my $rev = join('.', reverse split /\./, $net);
    $OUT .= "zone \"$rev.in-addr.arpa\"\n";
    (my $dom = $DomainName) =~ s/\./_/g;
    $OUT .= "key $dom\n";
}
},
	# arithmetic and sprintf
	q{{
    my $total = 0;
    my $count = 0;
    foreach my $svc ($DB->get_all_by_prop(type => 'service')) {
        $total += $svc->prop('MaxClients') || 0;
        $count++;
    }
    sprintf("services %d, clients %d, average %.2f\n", $count, $total,
        $count ? $total / $count : 0);
}
},
	# docker daemon settings
	q{{
    my %d = (
        'data-root'    => $docker{DataRoot} || '/var/lib/docker',
        'live-restore' => ($docker{LiveRestore} || 'no') eq 'yes' ? 'true' : 'false',
        'log-driver'   => $docker{LogDriver} || 'json-file',
    );
    $OUT .= "{\n";
    $OUT .= join(",\n", map { qq(  "$_": "$d{$_}") } sort keys %d);
    $OUT .= "\n}\n";
}
},
	# a package variable shared with later fragments
	q{{
    $listen = $LocalIP . ':' . ($httpd{TCPPort} || 80);
    $OUT = "Listen $listen\n";
}
},
	# literal text only
	q{# This section is generated. Local changes belong in templates-custom.
# See the README for the list of database keys that drive it.
},
	# nested data
	q{{
    my %groups;
    foreach my $svc ($DB->get_all_by_prop(type => 'service')) {
        push @{ $groups{ $svc->prop('access') || 'private' } }, $svc->key;
    }
    foreach my $g (sort keys %groups) {
        $OUT .= "$g: " . join(' ', sort @{ $groups{$g} }) . "\n";
    }
}
},
	# unless / ternary / string ops
	q{{
    my $tz = $TimeZone || 'UTC';
    my $area = (split m{/}, $tz)[0];
    $OUT .= "TZ=$tz\n";
    $OUT .= "AREA=" . uc($area) . "\n" unless $area eq 'UTC';
    $OUT .= "CHANGES=" . ($UnsavedChanges eq 'yes' ? 'pending' : 'none') . "\n";
}
},
);

for my $t (1 .. $ntargets) {
	my $n = 5 + ($t * 7) % 11; # 5 .. 15 fragments
	my $target = sprintf("/etc/bench/target%02d.conf", $t);
	for my $f (1 .. $n) {
		my $body = $pool[($t * 3 + $f * 7) % @pool];
		spew(sprintf("/etc/e-smith/templates%s/%02dpart%d", $target, $f * 5, $f),
			$body);
	}
	print "$target\n";
}
