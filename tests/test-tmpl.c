/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fragment language, table-driven: fragment text -> expected output
 * or expected error. The expected outputs are what Perl 5 with
 * Text::Template prints for the same fragment.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "tmpl.h"
#include "util.h"

struct tcase {
	const char *src;
	const char *out; /* expected output */
	const char *err; /* expected substring of the error, or NULL */
};

/* Runs one fragment in a fresh context with a small configuration db. */
static void
run_case(const struct tcase *c, const char *dbtext)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct tmpl_ctx *ctx = tmpl_ctx_new();
	struct db *db = NULL;
	int rc;

	if (dbtext) {
		db = db_parse("configuration", dbtext, strlen(dbtext));
		tmpl_ctx_install_config(ctx, db, 0);
	}
	rc = tmpl_expand_fragment(ctx, "frag", c->src, strlen(c->src), &out,
				  &err);
	if (c->err) {
		ck_assert_msg(rc < 0, "%s: expected an error, got '%s'", c->src,
			      out.buf);
		ck_assert_msg(strstr(err.buf, c->err),
			      "%s: error '%s' lacks '%s'", c->src, err.buf,
			      c->err);
	} else {
		ck_assert_msg(rc == 0, "%s: unexpected error %s", c->src,
			      err.buf);
	}
	if (c->out)
		ck_assert_msg(strcmp(out.buf, c->out) == 0,
			      "%s: got '%s', expected '%s'", c->src, out.buf,
			      c->out);
	tmpl_ctx_free(ctx);
	db_free(db);
	strbuf_release(&out);
	strbuf_release(&err);
}

/* Text::Template splitting and block values. */
static const struct tcase blocks[] = {
	{ "plain text\n", "plain text\n", NULL },
	{ "a{ 1 + 2 }b", "a3b", NULL },
	{ "{ $x = 5; }{ $x }", "55", NULL },
	{ "{ my $y = 5; }[{ $y }]", "5[]", NULL },
	{ "{ $OUT .= 'a'; $OUT .= 'b'; 'ignored' }", "ab", NULL },
	{ "{ undef }x", "x", NULL },
	{ "\\{ not code \\}", "{ not code }", NULL },
	{ "{ { a => 1 }->{a} }", "1", NULL },
	{ "{ if (1) { 'yes' } else { 'no' } }", "yes", NULL },
	{ "{ if (0) { 'yes' } }", "0", NULL },
	{ "{}", "", NULL },
	{ "{ 1 ", NULL, "frag:1: unmatched open brace" },
	{ "a }", NULL, "unmatched close brace" },
	{ "{ my @a = (1, 2, 3); @a }", "3", NULL },
};

/* Perl's scalar semantics. */
static const struct tcase scalars[] = {
	{ "{ 1/3 }", "0.333333333333333", NULL },
	{ "{ 2**53 + 1 }", "9.00719925474099e+15", NULL },
	{ "{ 9007199254740993 }", "9007199254740993", NULL },
	{ "{ 9223372036854775807 }", "9223372036854775807", NULL },
	{ "{ 2**10 }", "1024", NULL },
	{ "{ 10/2 }", "5", NULL },
	{ "{ -7/2 }", "-3.5", NULL },
	{ "{ 1e21 }", "1e+21", NULL },
	{ "{ 1e15 }", "1e+15", NULL },
	{ "{ 0.1 + 0.2 }", "0.3", NULL },
	{ "{ \"no\" == 'yes' }", "1", NULL },
	{ "{ 'a' . 1 + 2 }", "2", NULL },
	{ "{ -7 % 3 }", "2", NULL },
	{ "{ 7 % -3 }", "-2", NULL },
	{ "{ 1 == 2 }", "", NULL },
	{ "{ !1 }", "", NULL },
	{ "{ !0 }", "1", NULL },
	{ "{ '10' + '5abc' }", "15", NULL },
	{ "{ ' 3 ' * 2 }", "6", NULL },
	{ "{ '1e3' + 0 }", "1000", NULL },
	{ "{ 0x1f + 0755 + 0b11 }", "527", NULL },
	{ "{ 1_000_000 }", "1000000", NULL },
	{ "{ lc('ÀBC') }", "Àbc", NULL },
	{ "{ uc 'abc' . 'd' }", "ABCD", NULL },
	{ "{ lc('ABC') eq 'abc' }", "1", NULL },
	{ "{ 'ab' x 3 }", "ababab", NULL },
	{ "{ 3 <=> 4 }", "-1", NULL },
	{ "{ 'b' cmp 'a' }", "1", NULL },
	{ "{ 10 == 10.0 }", "1", NULL },
	{ "{ '10' eq '10.0' }", "", NULL },
	{ "{ my $i = 5; $i++ + ++$i }", "12", NULL },
	{ "{ my $s = 'az'; $s++; $s }", "ba", NULL },
	{ "{ my $s = 'Zz'; $s++; $s }", "AAa", NULL },
	{ "{ -'foo' }", "-foo", NULL },
	{ "{ 18446744073709551615 + 1 }", "1.84467440737096e+19", NULL },
	{ "{ int(7.9) . int(-7.9) }", "7-7", NULL },
	{ "{ abs(-3) }", "3", NULL },
	{ "{ 1 ? 'a' : 'b' }", "a", NULL },
	{ "{ undef // 'd' }", "d", NULL },
	{ "{ 0 || 'd' }", "d", NULL },
	{ "{ 0 // 'd' }", "0", NULL },
};

/* Strings and interpolation. */
static const struct tcase strings[] = {
	{ "{ my $x = 'w'; \"a $x b\" }", "a w b", NULL },
	{ "{ my $x = 'w'; \"a${x}b\" }", "awb", NULL },
	{ "{ my %h = (K => 'v'); \"<$h{K}>\" }", "<v>", NULL },
	{ "{ my @a = (1, 2); \"<$a[1]> <@a>\" }", "<2> <1 2>", NULL },
	{ "{ my $r = { K => 'v' }; \"<$r->{K}>\" }", "<v>", NULL },
	{ "{ my $r = [1, 2]; \"<$r->[0]>\" }", "<1>", NULL },
	{ "{ '$x\\n' }", "$x\\n", NULL },
	{ "{ \"t\\tn\\n\\x41\\101\\$\\@\" }", "t\tn\nAA$@", NULL },
	{ "{ my $n = 'bob'; \"\\u$n \\U$n\\E!\" }", "Bob BOB!", NULL },
	{ "{ q(a(b)c) . qq{<$OUT>} }", "a(b)c<>", NULL },
	{ "{ join ',', qw(a b c) }", "a,b,c", NULL },
	{ "{ my $v = 1; $OUT .= <<\"EOF\";\nv=$v\nEOF\n}", "v=1\n", NULL },
	{ "{ $OUT .= <<'EOF';\nv=$v\nEOF\n}", "v=$v\n", NULL },
	{ "{ $OUT .= <<~EOT;\n    a\n      b\n    EOT\n}", "a\n  b\n", NULL },
	{ "{ my $x = 'a'; \"$x->method\" }", "a->method", NULL },
	{ "{ \"mail\\@example.com\" }", "mail@example.com", NULL },
};

/* Control flow, subs and builtins. */
static const struct tcase control[] = {
	{ "{ my $s = ''; foreach my $i (1..3) { $s .= $i } $s }", "123", NULL },
	{ "{ my $s = ''; for (my $i = 0; $i < 3; $i++) { $s .= $i } $s }",
	  "012", NULL },
	{ "{ my $s = ''; for (1..5) { next if $_ == 2; last if $_ == 4; "
	  "$s .= $_ } $s }",
	  "13", NULL },
	{ "{ my $i = 0; $i++ while $i < 5; $i }", "5", NULL },
	{ "{ my $s = ''; $s .= $_ foreach qw(a b); $s }", "ab", NULL },
	{ "{ unless (0) { 'u' } }", "u", NULL },
	{ "{ my $x = 2; if ($x == 1) { 'a' } elsif ($x == 2) { 'b' } else "
	  "{ 'c' } }",
	  "b", NULL },
	{ "{ sub twice { my $x = shift; return $x * 2 } twice(4) }", "8",
	  NULL },
	{ "{ sub add { my ($a, $b) = @_; $a + $b } add(2, 3) }", "5", NULL },
	{ "{ join '-', sort { $b <=> $a } (3, 10, 2) }", "10-3-2", NULL },
	{ "{ join '-', sort qw(b c a) }", "a-b-c", NULL },
	{ "{ join '-', map { $_ * 2 } 1..3 }", "2-4-6", NULL },
	{ "{ join '-', grep { $_ % 2 } 1..5 }", "1-3-5", NULL },
	{ "{ join '-', reverse 1..3 }", "3-2-1", NULL },
	{ "{ my @a = (1); push @a, 2, 3; unshift @a, 0; pop @a; shift @a; "
	  "join ',', @a }",
	  "1,2", NULL },
	{ "{ my %h = (a => 1, b => 2); join ',', map { \"$_=$h{$_}\" } sort "
	  "keys %h }",
	  "a=1,b=2", NULL },
	{ "{ my %h = (b => 1, a => 2); join ',', keys %h }", "b,a", NULL },
	{ "{ my %h = (a => 1); exists $h{a} ? 'y' : 'n' }", "y", NULL },
	{ "{ my %h = (a => 1); delete $h{a}; scalar(keys %h) }", "0", NULL },
	{ "{ join '|', split /,/, 'a,b,,c,,' }", "a|b||c", NULL },
	{ "{ join '|', split ' ', '  a b  c ' }", "a|b|c", NULL },
	{ "{ join '|', split //, 'abc' }", "a|b|c", NULL },
	{ "{ join '|', split /(,)/, 'a,b' }", "a|,|b", NULL },
	{ "{ join '|', split /,/, 'a,b,c', 2 }", "a|b,c", NULL },
	{ "{ sprintf '%05.2f|%d|%x|%o|%e|%%|%s|%-3s|', 3.14159, 42, 255, 8, "
	  "1234.5, 'str', 'a' }",
	  "03.14|42|ff|10|1.234500e+03|%|str|a  |", NULL },
	{ "{ length 'abc' }", "3", NULL },
	{ "{ substr('abcdef', 1, 3) . substr('abc', -1) }", "bcdc", NULL },
	{ "{ index('hello', 'l') . rindex('hello', 'l') }", "23", NULL },
	{ "{ my $s = \"x\\n\"; chomp $s; \"[$s]\" }", "[x]", NULL },
	{ "{ ucfirst(lc('HELLO')) . lcfirst('ABC') }", "HelloaBC", NULL },
	{ "{ my @a = (1, 2, 3); scalar(@a) . $#a }", "32", NULL },
	{ "{ my @a = (1..5); join ',', @a[1..2] }", "2,3", NULL },
	{ "{ my %h = (a => 1, b => 2); join ',', @h{qw(a b)} }", "1,2", NULL },
	{ "{ my ($x, $y) = (1, 2); ($x, $y) = ($y, $x); \"$x$y\" }", "21",
	  NULL },
	{ "{ our $g = 1; { local $g = 2; } $g }", "1", NULL },
	{ "{ my $r = \\my @a; push @$r, 1; scalar @a }", "1", NULL },
	{ "{ my %h; $h{a}{b} = 1; ref $h{a} }", "HASH", NULL },
	{ "{ my @x = (3, 1, 2); my $n = () = @x; $n }", "3", NULL },
	{ "{ eval { die \"boom\\n\" }; $@ }", "boom\n", NULL },
	{ "{ die 'bad thing' }", NULL, "frag:1: bad thing" },
	{ "line1\n{ 1;\n die \"x\\n\" }", "line1\n", "frag:3: x" },
	{ "{ wantarray() ? 'l' : 's' }", NULL, NULL },
};

/* Regular expressions. */
static const struct tcase regexes[] = {
	{ "{ 'abc' =~ /b/ ? 'y' : 'n' }", "y", NULL },
	{ "{ 'abc' !~ /z/ ? 'y' : 'n' }", "y", NULL },
	{ "{ 'key=val' =~ /^(\\w+)=(\\w+)$/; \"$2-$1\" }", "val-key", NULL },
	{ "{ my ($k, $v) = 'a=b' =~ /(\\w)=(\\w)/; $v . $k }", "ba", NULL },
	{ "{ my $s = 'aaa'; $s =~ s/a/b/; $s }", "baa", NULL },
	{ "{ my $s = 'aaa'; my $n = $s =~ s/a/b/g; \"$s$n\" }", "bbb3", NULL },
	{ "{ my $s = 'AbC'; $s =~ s/b/x/i; $s }", "AxC", NULL },
	{ "{ my $s = 'a1b2'; $s =~ s/(\\d)/<$1>/g; $s }", "a<1>b<2>", NULL },
	{ "{ my $s = 'a1'; $s =~ s/(\\d)/$1+1/e; $s }", "a2", NULL },
	{ "{ join ',', 'a1b22c333' =~ /(\\d+)/g }", "1,22,333", NULL },
	{ "{ my $s = 'hello'; (my $t = $s) =~ tr/a-z/A-Z/; $t }", "HELLO",
	  NULL },
	{ "{ my $s = 'hello'; $s =~ tr/l//; }", "2", NULL },
	{ "{ my $re = 'b+'; 'abbc' =~ /a${re}c/ ? 1 : 0 }", "1", NULL },
	{ "{ 'A B' =~ / b /xi ? 1 : 0 }", "1", NULL },
	{ "{ my $x = 'a.b'; my @p = split /\\./, $x; scalar @p }", "2", NULL },
	{ "{ my $c = 0; my $s = 'a1b2c3'; $c++ while $s =~ /\\d/g; $c }", "3",
	  NULL },
};

/* The subset's boundary: clear errors, never silent output. */
static const struct tcase unsupported[] = {
	{ "{ `ls` }", NULL, "frag:1: unsupported construct '`...`'" },
	{ "{ system('ls') }", NULL, "unsupported construct 'system'" },
	{ "{ open(my $f, '<', '/etc/passwd') }", NULL,
	  "unsupported construct 'open'" },
	{ "{ eval 'print 1' }", NULL, "unsupported construct 'eval STRING'" },
	{ "{ use Net::IPv4Addr; 1 }", NULL,
	  "unsupported construct 'use Net::IPv4Addr'" },
	{ "{ require Foo::Bar; }", NULL, "unsupported construct 'require'" },
	{ "{ exec 'x' }", NULL, "unsupported construct 'exec'" },
	{ "{ qx(ls) }", NULL, "unsupported construct 'qx'" },
	{ "{ use strict; use warnings; use esmith::ConfigDB; use esmith::util; "
	  "'ok' }",
	  "ok", NULL },
	{ "{ 1 +* 2 }", NULL, "frag:1: syntax error" },
	{ "{ nosuch(1) }", NULL, "Undefined subroutine &main::nosuch" },
	{ "{ 1/0 }", NULL, "Illegal division by zero" },
	/* processTemplate needs the expander (expand.c sets the hook) */
	{ "{ use esmith::templates; processTemplate({ TEMPLATE_PATH => '/x' }) "
	  "}",
	  NULL, "frag:1: processTemplate: no nested expansion is possible" },
};

/* Lexer and parser errors: where (fragment:line) and what. */
static const struct tcase errors[] = {
	{ "{ 1;\n2 +;\n}", NULL, "frag:2: syntax error near ';'" },
	{ "a\nb\n{ 1;\n die 'x' }", "a\nb\n", "frag:4: x" },
	{ "{ \"open string }", NULL, "frag:1: can't find string terminator" },
	{ "{ my $x = ; }", NULL, "frag:1: syntax error near ';'" },
	{ "{ $OUT .= <<EOT;\nno end\n}", NULL,
	  "frag:1: can't find string terminator \"EOT\"" },
	{ "{ 'a' =~ /a/q }", NULL, "unknown regexp modifier \"/q\"" },
	{ "{ use strict; $y = 1 }", NULL,
	  "frag:1: Global symbol \"$y\" requires explicit package name" },
	{ "{ use strict; our $y = 1; my %h = (a => 1); $y . $h{a} }", "11",
	  NULL },
	{ "{ use strict; my $r = 'name'; @$r }", NULL,
	  "Can't use string (\"name\") as an ARRAY ref while \"strict refs\"" },
	{ "{ my @l = (1); 'x' ~~ @l }", NULL, "unsupported construct '~~'" },
	{ "{ [1, 2}", NULL, "frag:1: syntax error" },
	{ "{ foo(1, }", NULL, "frag:1: syntax error" },
	{ "{ 1 }\n{ 2 +* }\n{ 3 }", "1\n\n3", "frag:2: syntax error" },
	{ "{ $x->method }", NULL,
	  "Can't call method \"method\" on an undefined value" },
	{ "{ my %h = (a => 1); %h->{a} }", NULL, "frag:1:" },
	{ "{ 'x' =~ /(/ }", NULL, "frag:1: invalid regex" },
	{ "{ LABEL: for (1) { next LABEL } }", NULL,
	  "unsupported construct 'loop label'" },
};

static const char *const confdb =
	"DomainName=example.com\n"
	"sshd=service|TCPPort|22|status|enabled\n"
	"httpd-admin=service|TCPPort|980|status|enabled\n"
	"ftp=service|status|disabled\n";

/* Variables from the configuration database (ESMITH.md §3). */
static const struct tcase dbvars[] = {
	{ "{ $DomainName }", "example.com", NULL },
	{ "{ $sshd{TCPPort} }", "22", NULL },
	{ "{ $sshd{type} }", "service", NULL },
	{ "{ $sshd }", "service|TCPPort|22|status|enabled", NULL },
	{ "{ ${'httpd-admin'}{TCPPort} }", "980", NULL },
	{ "{ $ftp{TCPPort} || 'none' }", "none", NULL },
	{ "{ $DB->get('sshd')->prop('status') }", "enabled", NULL },
	{ "{ $DB->get_prop('sshd', 'TCPPort') }", "22", NULL },
	{ "{ $DB->get_value('DomainName') }", "example.com", NULL },
	{ "{ defined $DB->get('nosuch') ? 'y' : 'n' }", "n", NULL },
	{ "{ join ',', map { $_->key } $DB->get_all_by_prop(type => "
	  "'service') }",
	  "ftp,httpd-admin,sshd", NULL },
	{ "{ join ',', map { $_->key } $DB->get_all_by_prop(status => "
	  "'enabled') }",
	  "httpd-admin,sshd", NULL },
	{ "{ scalar(my @r = $DB->get_all) }", "4", NULL },
	{ "{ my %p = $DB->get('sshd')->props; join ',', map { \"$_=$p{$_}\" } "
	  "sort keys %p }",
	  "TCPPort=22,status=enabled,type=service", NULL },
	{ "{ db_get_prop($confref, 'sshd', 'TCPPort') }", "22", NULL },
	{ "{ db_get_type($confref, 'sshd') }", "service", NULL },
	{ "{ my $r = $DB->get('sshd'); ref $r }", "esmith::DB::db::Record",
	  NULL },
};

#define TABLE_TEST(name, table, db)       \
	START_TEST(test_tmpl_##name)      \
	{                                 \
		run_case(&table[_i], db); \
	}                                 \
	END_TEST

TABLE_TEST(blocks, blocks, NULL)
TABLE_TEST(scalars, scalars, NULL)
TABLE_TEST(strings, strings, NULL)
TABLE_TEST(control, control, NULL)
TABLE_TEST(regexes, regexes, NULL)
TABLE_TEST(unsupported, unsupported, NULL)
TABLE_TEST(errors, errors, NULL)
TABLE_TEST(dbvars, dbvars, confdb)

#define N(t) ((int)(sizeof(t) / sizeof(t[0])))

/*
 * The case files tests/tmpl/NAME.cases (format in tests/tmpl/lang-oracle.pl,
 * which checks the same expectations against Perl's Text::Template).
 */
static const char *const case_files[] = { "values.cases", "constructs.cases",
					  "realistic.cases" };

struct file_case {
	char *name, *src, *out, *err;
};

static void
take(struct strbuf *sb, char **dst)
{
	if (sb->len && sb->buf[sb->len - 1] == '\n')
		strbuf_setlen(sb, sb->len - 1);
	*dst = strbuf_detach(sb, NULL);
}

static struct file_case *
read_cases(const char *file, size_t *n)
{
	struct strbuf text = STRBUF_INIT, path = STRBUF_INIT,
		      part = STRBUF_INIT;
	struct file_case *cases = NULL;
	size_t alloc = 0;
	const char *src = getenv("SRCDIR");
	int where = 0; /* 0 none, 1 src, 2 out */

	*n = 0;
	strbuf_addf(&path, "%s/tests/tmpl/%s", src ? src : "..", file);
	ck_assert_msg(strbuf_read_file(&text, path.buf, 0) == 0, "%s",
		      path.buf);
	for (char *l = text.buf; l < text.buf + text.len;) {
		char *nl = memchr(l, '\n', (size_t)(text.buf + text.len - l));
		size_t len = nl ? (size_t)(nl - l)
				: (size_t)(text.buf + text.len - l);
		struct file_case *c = *n ? &cases[*n - 1] : NULL;
		if (len >= 4 && memcmp(l, "=== ", 4) == 0) {
			if (c && where == 2)
				take(&part, &c->out);
			cases = xgrow(cases, &alloc, *n + 1, sizeof(*cases));
			c = &cases[(*n)++];
			memset(c, 0, sizeof(*c));
			c->name = xstrndup(l + 4, len - 4);
			where = 1;
		} else if (c && len == 10 && memcmp(l, "--- output", 10) == 0) {
			take(&part, &c->src);
			where = 2;
		} else if (c && len > 10 && memcmp(l, "--- error ", 10) == 0) {
			take(&part, &c->src);
			c->err = xstrndup(l + 10, len - 10);
			where = 0;
		} else if (where) {
			strbuf_add(&part, l, len);
			strbuf_addch(&part, '\n');
		}
		l = nl ? nl + 1 : text.buf + text.len;
	}
	if (*n && where == 2)
		take(&part, &cases[*n - 1].out);
	strbuf_release(&part);
	strbuf_release(&text);
	strbuf_release(&path);
	return cases;
}

START_TEST(test_tmpl_case_files)
{
	size_t n;
	struct file_case *cases = read_cases(case_files[_i], &n);

	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		struct file_case *c = &cases[i];
		struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
		struct tmpl_ctx *ctx = tmpl_ctx_new();
		int rc = tmpl_expand_fragment(ctx, "frag", c->src,
					      strlen(c->src), &out, &err);
		if (c->err)
			ck_assert_msg(rc < 0, "%s: %s: expected an error",
				      case_files[_i], c->name);
		else
			ck_assert_msg(rc == 0 && strcmp(out.buf, c->out) == 0,
				      "%s: %s: got '%s' (%s), expected '%s'",
				      case_files[_i], c->name, out.buf, err.buf,
				      c->out);
		tmpl_ctx_free(ctx);
		strbuf_release(&out);
		strbuf_release(&err);
		free(c->name);
		free(c->src);
		free(c->out);
		free(c->err);
	}
	free(cases);
}
END_TEST

START_TEST(test_tmpl_package_shared)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct tmpl_ctx *ctx = tmpl_ctx_new();
	const char *f1 = "{ our $seen = 'one'; my $mine = 1; sub f { 'F' } }";
	const char *f2 = "{ $seen . (defined $mine ? 'my' : '') . f() }";

	ck_assert_int_eq(
		tmpl_expand_fragment(ctx, "f1", f1, strlen(f1), &out, &err), 0);
	ck_assert_int_eq(
		tmpl_expand_fragment(ctx, "f2", f2, strlen(f2), &out, &err), 0);
	/* f1's value is its last statement's: `sub` is not a statement */
	ck_assert_str_eq(out.buf, "1oneF");
	tmpl_ctx_free(ctx);
	strbuf_release(&out);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_tmpl_more_data_and_eval_string)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct tmpl_ctx *ctx = tmpl_ctx_new();
	int undef = 0;
	const char *f = "{ \"$THIS @list $h{k}\" }";

	tmpl_ctx_set_scalar(ctx, "THIS", "old");
	ck_assert_int_eq(tmpl_ctx_more_data(ctx,
					    "{ THIS => 'x', list => [1, 2], "
					    "h => { k => 'v' } }",
					    "meta", &err),
			 0);
	ck_assert_int_eq(
		tmpl_expand_fragment(ctx, "f", f, strlen(f), &out, &err), 0);
	ck_assert_str_eq(out.buf, "x 1 2 v");
	/* a leading { is a hash even when a block would be guessed */
	strbuf_reset(&out);
	ck_assert_int_eq(
		tmpl_ctx_more_data(ctx, "{ %h, THIS => undef }", "meta", &err),
		0);
	ck_assert_int_eq(
		tmpl_expand_fragment(ctx, "f", f, strlen(f), &out, &err), 0);
	ck_assert_str_eq(out.buf, " 1 2 v");
	strbuf_reset(&out);
	ck_assert_int_eq(
		tmpl_eval_string(ctx, "0640", "PERMS", &out, &undef, &err), 0);
	ck_assert_str_eq(out.buf, "416");
	ck_assert_int_eq(undef, 0);
	strbuf_reset(&out);
	ck_assert_int_eq(
		tmpl_eval_string(ctx, "undef", "X", &out, &undef, &err), 0);
	ck_assert_int_eq(undef, 1);
	tmpl_ctx_free(ctx);
	strbuf_release(&out);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_tmpl_limits)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct tmpl_ctx *ctx = tmpl_ctx_new();
	struct tmpl_limits lim = { 50, 1000, 10000, 1u << 20 };
	const char *loop = "{ 1 while 1 }";
	const char *big = "{ 'x' x 100000 }";
	const char *deep = "{ ((((((((((((((((((((((((((((((((((((((((((((((("
			   "((((((1)))))))))))))))))))))))))))))))))))))))))))"
			   ")))))))))) }";
	const char *rec = "{ sub r { r() } r() }";
	const char *out_cap = "{ $OUT .= 'y' x 100 for 1..20 }";

	tmpl_ctx_set_limits(ctx, &lim);
	ck_assert_int_lt(
		tmpl_expand_fragment(ctx, "f", loop, strlen(loop), &out, &err),
		0);
	ck_assert_ptr_nonnull(strstr(err.buf, "step limit"));
	strbuf_reset(&err);
	ck_assert_int_lt(
		tmpl_expand_fragment(ctx, "f", deep, strlen(deep), &out, &err),
		0);
	ck_assert_ptr_nonnull(strstr(err.buf, "nesting too deep"));
	strbuf_reset(&err);
	ck_assert_int_lt(
		tmpl_expand_fragment(ctx, "f", rec, strlen(rec), &out, &err),
		0);
	ck_assert_ptr_nonnull(strstr(err.buf, "nesting too deep"));
	strbuf_reset(&err);
	ck_assert_int_lt(tmpl_expand_fragment(ctx, "f", out_cap,
					      strlen(out_cap), &out, &err),
			 0);
	ck_assert_ptr_nonnull(strstr(err.buf, "output limit"));
	strbuf_reset(&err);
	/* A block's value is output as much as $OUT is: one block over
	   the limit, and blocks that pass it together. */
	strbuf_reset(&out);
	ck_assert_int_lt(tmpl_expand_fragment(ctx, "f", "{ 'z' x 5000 }", 14,
					      &out, &err),
			 0);
	ck_assert_ptr_nonnull(strstr(err.buf, "f:1: output limit"));
	ck_assert_uint_eq(out.len, 0);
	strbuf_reset(&err);
	ck_assert_int_eq(
		tmpl_expand_fragment(ctx, "f", "{ 'z' x 600 }", 13, &out, &err),
		0);
	ck_assert_uint_eq(out.len, 600);
	strbuf_reset(&out);
	ck_assert_int_lt(tmpl_expand_fragment(ctx, "f",
					      "{ 'z' x 600 }\n{ 'z' x 600 }",
					      27, &out, &err),
			 0);
	ck_assert_ptr_nonnull(strstr(err.buf, "f:2: output limit"));
	ck_assert_uint_eq(out.len, 601);
	strbuf_reset(&err);
	strbuf_reset(&out);
	lim.max_memory = 50000;
	tmpl_ctx_set_limits(ctx, &lim);
	ck_assert_int_lt(
		tmpl_expand_fragment(ctx, "f", big, strlen(big), &out, &err),
		0);
	ck_assert_ptr_nonnull(strstr(err.buf, "memory limit"));
	ck_assert_str_eq(out.buf, "");
	/* an empty string repeated a huge number of times is empty at once
	   (it once looped that many times); a list repeated so, too big */
	strbuf_reset(&err);
	ck_assert_int_eq(
		tmpl_expand_fragment(ctx, "f", "{ '' x 1e18 }", 13, &out, &err),
		0);
	ck_assert_str_eq(out.buf, "");
	ck_assert_int_lt(
		tmpl_expand_fragment(ctx, "f",
				     "{ my @a = (1) x 4611686018427387904 }",
				     38, &out, &err),
		0);
	ck_assert_ptr_nonnull(strstr(err.buf, "f:1: memory limit"));
	tmpl_ctx_free(ctx);
	strbuf_release(&out);
	strbuf_release(&err);
}
END_TEST

/* Expand `src` as fragment "frag" in ctx; the output, or the error. */
static char *
expand_in(struct tmpl_ctx *ctx, const char *src)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	if (tmpl_expand_fragment(ctx, "frag", src, strlen(src), &out, &err) <
	    0) {
		strbuf_release(&out);
		return strbuf_detach(&err, NULL);
	}
	strbuf_release(&err);
	return strbuf_detach(&out, NULL);
}

#define CK_EXPANDS(ctx, src, want)                \
	do {                                      \
		char *got_ = expand_in(ctx, src); \
		ck_assert_str_eq(got_, want);     \
		free(got_);                       \
	} while (0)

/* A cached program keeps nothing of the text it was parsed from: a
   fragment whose split text is not kept runs, the second time, the
   program parsed the first time (tr/// once pointed into that text). */
START_TEST(test_tmpl_parse_cache_owns_text)
{
	struct tmpl_ctx *c = tmpl_ctx_new();
	const char *src = "{ my $s = \"a-b-c\"; ($t = $s) =~ tr/a-c/A-C/; "
			  "$t =~ s/-/+/g; $t }";
	int round;

	tmpl_cache_clear();
	/* fill the cache of split fragments, so that the next fragment's
	   split text is freed after its expansion while its program is kept */
	for (round = 0; round < 2100; round++) {
		char filler[32];
		snprintf(filler, sizeof(filler), "%d", round);
		free(expand_in(c, filler));
	}
	for (round = 0; round < 2; round++)
		CK_EXPANDS(c, src, "A+B+C");
	tmpl_ctx_free(c);
	tmpl_cache_clear();
}
END_TEST

/* A block parsed once is bound to each context that runs it: package
   variables, `my` variables, line numbers and closures stay as a fresh
   parse makes them. */
START_TEST(test_tmpl_parse_cache)
{
	const char *count = "{ $n++; my $m; $m++; \"$SystemName $n $m\" }";
	const char *keep = "{ $f ||= sub { $v }; $v }";
	const char *bad = "{ 1;\n die \"x\\n\" }";
	struct db *db1 = db_parse("configuration", "SystemName=alpha\n", 17);
	struct db *db2 = db_parse("configuration", "SystemName=beta\n", 16);
	struct tmpl_ctx *c1 = tmpl_ctx_new(), *c2, *c3;
	size_t n0;

	tmpl_cache_clear();
	tmpl_ctx_install_config(c1, db1, 0);
	CK_EXPANDS(c1, count, "alpha 1 1");
	n0 = tmpl_cache_count();
	ck_assert_uint_eq(n0, 1);
	CK_EXPANDS(c1, count, "alpha 2 1");
	/* another context: its own package and database */
	c2 = tmpl_ctx_new();
	tmpl_ctx_install_config(c2, db2, 0);
	CK_EXPANDS(c2, count, "beta 1 1");
	tmpl_ctx_free(c2);
	tmpl_ctx_free(c1);
	c1 = tmpl_ctx_new();
	tmpl_ctx_install_config(c1, db1, 0);
	CK_EXPANDS(c1, count, "alpha 1 1");
	ck_assert_uint_eq(tmpl_cache_count(), n0);
	/* a changed text is parsed anew */
	CK_EXPANDS(c1, "{ $n++; my $m; $m++; \"$SystemName $n $m!\" }",
		   "alpha 2 1!");
	ck_assert_uint_eq(tmpl_cache_count(), n0 + 1);
	/* the same text on another line reports its own line */
	CK_EXPANDS(c1, bad, "frag:2: x\n");
	CK_EXPANDS(c1, "\n\nabc", "\n\nabc");
	{
		char *twice = xstrdup("\n\n{ 1;\n die \"x\\n\" }");
		CK_EXPANDS(c1, twice, "frag:4: x\n");
		free(twice);
	}
	/* a fragment that does not split fails each time */
	CK_EXPANDS(c1, "a{ 1 ",
		   "frag:1: unmatched open brace: end of fragment inside the "
		   "block that began here\n");
	CK_EXPANDS(c1, "a{ 1 ",
		   "frag:1: unmatched open brace: end of fragment inside the "
		   "block that began here\n");
	tmpl_ctx_free(c1);
	/* a program still held by a live context is not bound to another */
	c1 = tmpl_ctx_new();
	c2 = tmpl_ctx_new();
	tmpl_ctx_set_scalar(c1, "v", "one");
	tmpl_ctx_set_scalar(c2, "v", "two");
	CK_EXPANDS(c1, keep, "one");
	CK_EXPANDS(c2, keep, "two");
	CK_EXPANDS(c1, "{ $v = 'uno'; $f->() }", "uno");
	tmpl_ctx_free(c1);
	CK_EXPANDS(c2, "{ $f->() }", "two");
	tmpl_ctx_free(c2);
	c3 = tmpl_ctx_new();
	tmpl_ctx_set_scalar(c3, "v", "three");
	CK_EXPANDS(c3, keep, "three");
	CK_EXPANDS(c3, "{ $f->() }", "three");
	tmpl_ctx_free(c3);
	tmpl_cache_clear();
	ck_assert_uint_eq(tmpl_cache_count(), 0);
	db_free(db1);
	db_free(db2);
}
END_TEST

static Suite *
tmpl_suite(void)
{
	Suite *s = suite_create("tmpl");
	TCase *tc = tcase_create("lang");

	tcase_add_loop_test(tc, test_tmpl_blocks, 0, N(blocks));
	tcase_add_loop_test(tc, test_tmpl_scalars, 0, N(scalars));
	tcase_add_loop_test(tc, test_tmpl_strings, 0, N(strings));
	tcase_add_loop_test(tc, test_tmpl_control, 0, N(control));
	tcase_add_loop_test(tc, test_tmpl_regexes, 0, N(regexes));
	tcase_add_loop_test(tc, test_tmpl_unsupported, 0, N(unsupported));
	tcase_add_loop_test(tc, test_tmpl_errors, 0, N(errors));
	tcase_add_loop_test(tc, test_tmpl_dbvars, 0, N(dbvars));
	tcase_add_loop_test(tc, test_tmpl_case_files, 0, N(case_files));
	tcase_add_test(tc, test_tmpl_package_shared);
	tcase_add_test(tc, test_tmpl_more_data_and_eval_string);
	tcase_add_test(tc, test_tmpl_limits);
	tcase_add_test(tc, test_tmpl_parse_cache);
	tcase_add_test(tc, test_tmpl_parse_cache_owns_text);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tmpl_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
