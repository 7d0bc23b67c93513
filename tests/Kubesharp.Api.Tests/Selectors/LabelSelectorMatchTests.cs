using System.Text.Json;
using Kubesharp.Api.Selectors;
using static Kubesharp.Api.Tests.Selectors.SelectorTestData;

namespace Kubesharp.Api.Tests.Selectors;

public sealed class LabelSelectorMatchTests
{
    // Every row is checked against a dictionary and against the labels of a stored JSON object.
    [Theory]
    [InlineData("empty selector, no labels", "", "-", true)]
    [InlineData("empty selector, labels", "", "x=y", true)]
    [InlineData("equals", "x=y", "x=y", true)]
    [InlineData("equals, other value", "x=y", "x=z", false)]
    [InlineData("equals, missing", "x=z", "-", false)]
    [InlineData("equals the empty value", "x=", "x=", true)]
    [InlineData("equals the empty value, missing", "x=", "-", false)]
    [InlineData("double equals", "x==y", "x=y", true)]
    [InlineData("not equals, other value", "x!=y", "x=z", true)]
    [InlineData("not equals, same value", "x!=y", "x=y", false)]
    [InlineData("not equals, missing", "x!=y", "-", true)]
    [InlineData("in, listed", "x in (a,b)", "x=b", true)]
    [InlineData("in, not listed", "x in (a,b)", "x=c", false)]
    [InlineData("in, missing", "x in (a,b)", "y=a", false)]
    [InlineData("in the empty value", "x in ()", "x=", true)]
    [InlineData("in the empty value, missing", "x in ()", "-", false)]
    [InlineData("notin, listed", "x notin (a,b)", "x=a", false)]
    [InlineData("notin, not listed", "x notin (a,b)", "x=c", true)]
    [InlineData("notin, missing key matches", "x notin (a,b)", "y=a", true)]
    [InlineData("notin the empty value, missing", "x notin ()", "-", true)]
    [InlineData("exists", "x", "x=z", true)]
    [InlineData("exists with the empty value", "x", "x=", true)]
    [InlineData("exists, missing", "x", "y=z", false)]
    [InlineData("does not exist, missing", "!x", "y=z", true)]
    [InlineData("does not exist, present", "!x", "x=z", false)]
    [InlineData("gt, greater", "x>1", "x=2", true)]
    [InlineData("gt, equal", "x>1", "x=1", false)]
    [InlineData("gt, smaller", "x>1", "x=0", false)]
    [InlineData("gt, negative label value", "x>1", "x=-5", false)]
    [InlineData("gt, leading zeros", "x>9", "x=010", true)]
    [InlineData("gt, label not an integer", "x>1", "x=v2", false)]
    [InlineData("gt, label overflows int64", "x>1", "x=9223372036854775808", false)]
    [InlineData("gt, largest int64", "x>1", "x=9223372036854775807", true)]
    [InlineData("gt, missing", "x>1", "-", false)]
    [InlineData("lt, smaller", "x<1", "x=0", true)]
    [InlineData("lt, smallest int64", "x<1", "x=-9223372036854775808", true)]
    [InlineData("lt, bigger", "x<1", "x=2", false)]
    [InlineData("lt, plus sign", "x<3", "x=+2", true)]
    [InlineData("lt, empty label value", "x<3", "x=", false)]
    [InlineData("and of all", "x=y,z=w", "x=y;z=w", true)]
    [InlineData("and, one fails", "x=y,z=w", "x=w;z=w", false)]
    [InlineData("and of negations", "x!=y,z!=w", "x=z;z=a", true)]
    [InlineData("keyword key and value", "notin=in", "notin=in", true)]
    [InlineData("prefixed key", "example.com/app=web", "example.com/app=web;app=db", true)]
    [InlineData("extra requirement on a missing key", "foo=bar,foobar=bar,baz=blah", "foo=bar;baz=blah", false)]
    public void Matches_as_upstream(string name, string selector, string labels, bool expected)
    {
        var parsed = LabelSelector.Parse(selector);
        var set = Labels(labels);
        using var stored = ObjectWithLabels(set);

        Assert.True(expected == parsed.Matches(set), $"{name}: dictionary: expected {expected}");
        Assert.True(expected == parsed.Matches(stored.RootElement), $"{name}: stored JSON: expected {expected}");
        Assert.True(expected == parsed.MatchesLabels(stored.RootElement.GetProperty("metadata").GetProperty("labels")), $"{name}: labels JSON: expected {expected}");
    }

    [Theory]
    [InlineData("no metadata", """{"kind":"Pod"}""")]
    [InlineData("metadata without labels", """{"metadata":{"name":"p"}}""")]
    [InlineData("null labels", """{"metadata":{"labels":null}}""")]
    [InlineData("labels not an object", """{"metadata":{"labels":["x"]}}""")]
    [InlineData("metadata not an object", """{"metadata":"x"}""")]
    [InlineData("not an object", """[1,2]""")]
    public void Stored_json_without_labels_has_no_labels(string name, string json)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.True(LabelSelector.Parse("!x,y notin (a)").Matches(doc.RootElement), name);
        Assert.False(LabelSelector.Parse("x").Matches(doc.RootElement), name);
        Assert.True(LabelSelector.Empty.Matches(doc.RootElement), name);
    }

    [Theory]
    [InlineData("escaped key and value", """{"metadata":{"labels":{"\u0061pp":"w\u0065b"}}}""", "app=web", true)]
    [InlineData("escaped digit for gt", """{"metadata":{"labels":{"n":"1\u0030"}}}""", "n>9", true)]
    [InlineData("null value reads as empty", """{"metadata":{"labels":{"x":null}}}""", "x=", true)]
    [InlineData("null value exists", """{"metadata":{"labels":{"x":null}}}""", "x", true)]
    [InlineData("number value exists", """{"metadata":{"labels":{"x":1}}}""", "x", true)]
    [InlineData("number value equals nothing", """{"metadata":{"labels":{"x":1}}}""", "x in (1)", false)]
    [InlineData("number value differs from everything", """{"metadata":{"labels":{"x":1}}}""", "x!=1", true)]
    [InlineData("number value is no integer for gt", """{"metadata":{"labels":{"x":5}}}""", "x>1", false)]
    public void Stored_json_label_values_read_as_Go_decodes_them(string name, string json, string selector, bool expected)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.True(expected == LabelSelector.Parse(selector).Matches(doc.RootElement), $"{name}: expected {expected}");
    }

    [Fact]
    public void Nothing_matches_nothing()
    {
        using var stored = ObjectWithLabels(Labels("a=b"));

        Assert.False(LabelSelector.Nothing.Matches(Labels("a=b")));
        Assert.False(LabelSelector.Nothing.Matches(Labels("-")));
        Assert.False(LabelSelector.Nothing.Matches(stored.RootElement));
        Assert.True(LabelSelector.Nothing.MatchesNothing);
        Assert.False(LabelSelector.Nothing.IsEmpty);
        Assert.Equal("", LabelSelector.Nothing.ToString());
    }

    [Fact]
    public void Matching_stored_json_allocates_nothing()
    {
        var selector = LabelSelector.Parse("app in (web,api),tier!=db,!canary,release,n>3,m<100,zone notin (a),env=prod,ver==v1");
        using var hit = ObjectWithLabels(Labels("app=web;tier=cache;release=r1;n=10;m=5;env=prod;ver=v1;zone=b;extra=x"));
        using var miss = ObjectWithLabels(Labels("app=web;tier=db"));
        var dictionary = Labels("app=web;tier=cache;release=r1;n=10;m=5;env=prod;ver=v1");
        Assert.True(selector.Matches(hit.RootElement));
        Assert.False(selector.Matches(miss.RootElement));
        Assert.True(selector.Matches(dictionary));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var matched = 0;
        for (var i = 0; i < 1000; i++)
        {
            matched += selector.Matches(hit.RootElement) ? 1 : 0;
            matched += selector.Matches(miss.RootElement) ? 1 : 0;
            matched += selector.Matches(dictionary) ? 1 : 0;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(2000, matched);
        Assert.True(allocated == 0, $"expected no allocation over 3000 matches, got {allocated} bytes");
    }
}
