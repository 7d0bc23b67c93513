using System.Net;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Selectors;
using static Kubesharp.Api.Tests.Selectors.SelectorTestData;

namespace Kubesharp.Api.Tests.Selectors;

public sealed class LabelSelectorParseTests
{
    // Each expectation was checked against upstream v1.32's labels.Parse and String().
    [Theory]
    [InlineData("equals", "x=a", "x=a")]
    [InlineData("double equals kept as written", "x==a", "x==a")]
    [InlineData("not equals", "x!=a", "x!=a")]
    [InlineData("in", "x in (b,a)", "x in (a,b)")]
    [InlineData("notin", "x notin (a)", "x notin (a)")]
    [InlineData("exists", "x", "x")]
    [InlineData("does not exist", "!x", "!x")]
    [InlineData("greater than", "x>1", "x>1")]
    [InlineData("less than", "x<5", "x<5")]
    [InlineData("gt value with leading zeros", "x>007", "x>007")]
    [InlineData("requirements sorted by key", "x=a,a=x", "a=x,x=a")]
    [InlineData("same key keeps written order", "z!=a,z", "z!=a,z")]
    [InlineData("whitespace of every kind around tokens", " x \t in\n( a ,\r b ) , y ", "x in (a,b),y")]
    [InlineData("carriage return before key", "\rx", "x")]
    [InlineData("empty value after equals", "x=", "x=")]
    [InlineData("blank value after equals", "x= ,z= ", "x=,z=")]
    [InlineData("empty set", "x in ()", "x in ()")]
    [InlineData("blank set", "x notin ( )", "x notin ()")]
    [InlineData("trailing comma in set names the empty value", "x in (abc,)", "x in (,abc)")]
    [InlineData("leading comma in set names the empty value", "x notin (, a)", "x notin (,a)")]
    [InlineData("double comma inside a set", "x notin (abc,,def),bar,z in (),w", "bar,w,x notin (,abc,def),z in ()")]
    [InlineData("duplicate values folded", "x in (b,b,a)", "x in (a,b)")]
    [InlineData("keywords as values", "a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)")]
    [InlineData("keywords as key and value", "notin=in", "notin=in")]
    [InlineData("prefixed keys", "example.com/app in (web),0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)", "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock),example.com/app in (web)")]
    [InlineData("63-character name and value", "k23456789012345678901234567890123456789012345678901234567890123=v23456789012345678901234567890123456789012345678901234567890123", "k23456789012345678901234567890123456789012345678901234567890123=v23456789012345678901234567890123456789012345678901234567890123")]
    [InlineData("NUL after a comma is swallowed as upstream's lexer does", "x,\0y", "x,y")]
    [InlineData("all operators at once", "x in (a),y notin (b),!z,w,v=1,u==2,t!=3,s>4,r<5", "r<5,s>4,t!=3,u==2,v=1,w,x in (a),y notin (b),!z")]
    public void Valid_selectors_parse_to_the_canonical_text(string name, string selector, string canonical)
    {
        var parsed = LabelSelector.Parse(selector);

        Assert.True(canonical == parsed.ToString(), $"{name}: expected \"{canonical}\", got \"{parsed}\"");
        Assert.Equal(parsed, LabelSelector.Parse(parsed.ToString()));
    }

    [Theory]
    [InlineData("pipes are part of a value", "x=a||y=b", "unable to parse requirement: values[0][x]: Invalid value: \"a||y\": " + ValueRule)]
    [InlineData("second operator", "x==a==b", "found '==', expected: ',' or 'end of string'")]
    [InlineData("operator after !key", "!x=a", "found '=', expected: ',' or 'end of string'")]
    [InlineData("lt needs an integer", "x<a", "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer")]
    [InlineData("gt needs a value", "x>", "unable to parse requirement: values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, the value must be an integer")]
    [InlineData("gt value overflows int64", "x<99999999999999999999", "unable to parse requirement: values[0]: Invalid value: \"99999999999999999999\": for 'Gt', 'Lt' operators, the value must be an integer")]
    [InlineData("negative numbers are not label values", "x>-1", "unable to parse requirement: values[0][x]: Invalid value: \"-1\": " + ValueRule)]
    [InlineData("two errors aggregate in brackets", "x>a_", "unable to parse requirement: [values[0]: Invalid value: \"a_\": for 'Gt', 'Lt' operators, the value must be an integer, values[0][x]: Invalid value: \"a_\": " + ValueRule + "]")]
    [InlineData("bad values indexed in sorted order", "x in (a,c_,b_)", "unable to parse requirement: [values[1][x]: Invalid value: \"b_\": " + ValueRule + ", values[2][x]: Invalid value: \"c_\": " + ValueRule + "]")]
    [InlineData("value over 63 characters", "x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "unable to parse requirement: values[0][x]: Invalid value: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": must be no more than 63 characters")]
    [InlineData("non-ASCII value", "x=é", "unable to parse requirement: values[0][x]: Invalid value: \"é\": " + ValueRule)]
    [InlineData("v1.32 refuses a double comma before the closing parenthesis", "x in (a,,)", "unable to parse requirement: found ')', expected: ',', or identifier")]
    [InlineData("v1.32 refuses commas alone", "x in (,,)", "unable to parse requirement: found ')', expected: ',', or identifier")]
    [InlineData("space between values", "a in (xyz abc)", "unable to parse requirement: found 'abc', expected: ',' or ')'")]
    [InlineData("unclosed set", "x in (a,b", "unable to parse requirement: found '', expected: ',' or ')'")]
    [InlineData("open parenthesis at the end", "a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier")]
    [InlineData("nested parenthesis", "x in ((a))", "unable to parse requirement: found '(', expected: ',', ')' or identifier")]
    [InlineData("in without a set", "x in a", "unable to parse requirement: found 'a' expected: '('")]
    [InlineData("in at the end", "x in", "unable to parse requirement: found '' expected: '('")]
    [InlineData("parenthesis for an operator", "a (", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("two identifiers", "x y", "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("leading parenthesis", "(", "found '(', expected: !, identifier, or 'end of string'")]
    [InlineData("leading comma", ",x", "found ',', expected: !, identifier, or 'end of string'")]
    [InlineData("bang alone", "!", "unable to parse requirement: found '', expected: identifier")]
    [InlineData("double bang", "!!x", "unable to parse requirement: found '!', expected: identifier")]
    [InlineData("trailing comma", "x,", "found '', expected: identifier after ','")]
    [InlineData("empty requirement", "x,,y", "found ',', expected: identifier after ','")]
    [InlineData("junk after a set", "a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'")]
    [InlineData("space inside a value", "x=a b", "found 'b', expected: ',' or 'end of string'")]
    [InlineData("operator where a value goes", "x= =", "unable to parse requirement: found '=', expected: identifier")]
    [InlineData("no <= operator", "x<=1", "unable to parse requirement: found '=', expected: identifier")]
    [InlineData("three-character operator", "x!==a", "unable to parse requirement: found '=', expected: identifier")]
    [InlineData("key with two slashes", "a/b/c", "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": " + QualifiedNameRule)]
    [InlineData("empty prefix", "/a", "unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be non-empty")]
    [InlineData("empty name", "a/", "unable to parse requirement: <nil>: Invalid value: \"a/\": name part must be non-empty; name part " + NameRule)]
    [InlineData("upper-case prefix", "A.B/c", "unable to parse requirement: <nil>: Invalid value: \"A.B/c\": prefix part " + SubdomainRule)]
    [InlineData("key starting with a dash", "-a", "unable to parse requirement: <nil>: Invalid value: \"-a\": name part " + NameRule)]
    [InlineData("key of 64 characters", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "unable to parse requirement: <nil>: Invalid value: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": name part must be no more than 63 characters")]
    [InlineData("key quoted as Go quotes it", "a\"b", "unable to parse requirement: <nil>: Invalid value: \"a\\\"b\": name part " + NameRule)]
    public void Invalid_selectors_are_refused_with_upstreams_message(string name, string selector, string message)
    {
        var e = Assert.Throws<StatusException>(() => LabelSelector.Parse(selector));

        Assert.Equal(HttpStatusCode.BadRequest, e.Code);
        Assert.Equal("BadRequest", e.Reason);
        Assert.True(message == e.Message, $"{name}:\nexpected: {message}\nactual:   {e.Message}");
    }

    [Fact]
    public void A_prefix_over_253_characters_is_refused()
    {
        var key = new string('p', 254) + "/a";

        var e = Assert.Throws<StatusException>(() => LabelSelector.Parse(key));

        Assert.Equal($"unable to parse requirement: <nil>: Invalid value: \"{key}\": prefix part must be no more than 253 characters", e.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" \t\r\n")]
    public void Nothing_to_parse_is_the_empty_selector(string? selector)
    {
        var parsed = LabelSelector.Parse(selector);

        Assert.True(parsed.IsEmpty);
        Assert.False(parsed.MatchesNothing);
        Assert.Equal("", parsed.ToString());
        Assert.True(parsed.Matches(Labels("a=b")));
    }

    [Fact]
    public void TryParse_returns_the_failure_as_a_value()
    {
        Assert.False(LabelSelector.TryParse("x y", out var selector, out var error));
        Assert.Null(selector);
        Assert.Equal("unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt", error);

        Assert.True(LabelSelector.TryParse("x", out selector, out error));
        Assert.Null(error);
        Assert.Equal("x", selector.ToString());
    }

    [Fact]
    public void Requirements_expose_key_operator_and_sorted_distinct_values()
    {
        var selector = LabelSelector.Parse("tier notin (db,cache,db),app=web,!canary,release,n>3");

        Assert.Collection(selector.Requirements,
            r => Assert.Equal(("app", LabelSelectorOperator.Equals, "web"), (r.Key, r.Operator, string.Join('|', r.Values))),
            r => Assert.Equal(("canary", LabelSelectorOperator.DoesNotExist, ""), (r.Key, r.Operator, string.Join('|', r.Values))),
            r => Assert.Equal(("n", LabelSelectorOperator.GreaterThan, "3"), (r.Key, r.Operator, string.Join('|', r.Values))),
            r => Assert.Equal(("release", LabelSelectorOperator.Exists, ""), (r.Key, r.Operator, string.Join('|', r.Values))),
            r => Assert.Equal(("tier", LabelSelectorOperator.NotIn, "cache|db"), (r.Key, r.Operator, string.Join('|', r.Values))));
    }

    [Fact]
    public void Equal_selectors_are_equal_whatever_the_written_order()
    {
        var a = LabelSelector.Parse("x=a, y in (c,b)");
        var b = LabelSelector.Parse("y in (b,c),x=a");

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, LabelSelector.Parse("x==a,y in (b,c)"));
        Assert.NotEqual(LabelSelector.Empty, LabelSelector.Nothing);
    }

    [Theory]
    [InlineData("equals", "app=web,tier=db", "app", "web")]
    [InlineData("double equals", "app==web", "app", "web")]
    [InlineData("in with one value", "app in (web)", "app", "web")]
    [InlineData("in with two values", "app in (web,api)", "app", null)]
    [InlineData("not equals", "app!=web", "app", null)]
    [InlineData("only the first requirement on the key counts", "app,app=web", "app", null)]
    [InlineData("other key", "tier=db", "app", null)]
    public void RequiresExactMatch_finds_the_one_value_a_key_must_have(string name, string selector, string key, string? expected)
    {
        var found = LabelSelector.Parse(selector).RequiresExactMatch(key, out var value);

        Assert.True(expected == value && found == (expected is not null), $"{name}: expected {expected ?? "none"}, got {value ?? "none"}");
    }
}
