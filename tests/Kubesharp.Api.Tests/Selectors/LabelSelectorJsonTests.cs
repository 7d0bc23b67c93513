using System.Net;
using System.Text.Json;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Selectors;
using static Kubesharp.Api.Tests.Selectors.SelectorTestData;

namespace Kubesharp.Api.Tests.Selectors;

/// <summary>metav1.LabelSelector (Deployments, ReplicaSets, ...) to selector, as upstream's LabelSelectorAsSelector.</summary>
public sealed class LabelSelectorJsonTests
{
    [Theory]
    [InlineData("match labels", """{"matchLabels":{"app":"web","tier":"fe"}}""", "app=web,tier=fe")]
    [InlineData("match labels sorted by key", """{"matchLabels":{"z":"1","a":"2"}}""", "a=2,z=1")]
    [InlineData("in", """{"matchExpressions":[{"key":"env","operator":"In","values":["prod","dev"]}]}""", "env in (dev,prod)")]
    [InlineData("notin", """{"matchExpressions":[{"key":"env","operator":"NotIn","values":["qa"]}]}""", "env notin (qa)")]
    [InlineData("exists without values", """{"matchExpressions":[{"key":"env","operator":"Exists"}]}""", "env")]
    [InlineData("exists with empty values", """{"matchExpressions":[{"key":"env","operator":"Exists","values":[]}]}""", "env")]
    [InlineData("does not exist with null values", """{"matchExpressions":[{"key":"env","operator":"DoesNotExist","values":null}]}""", "!env")]
    [InlineData("labels and expressions merge by key", """{"matchLabels":{"b":"1"},"matchExpressions":[{"key":"a","operator":"Exists"},{"key":"b","operator":"NotIn","values":["2"]}]}""", "a,b=1,b notin (2)")]
    [InlineData("duplicate values kept, sorted in the text", """{"matchExpressions":[{"key":"k","operator":"In","values":["b","a","b"]}]}""", "k in (a,b,b)")]
    [InlineData("empty value allowed", """{"matchLabels":{"k":""}}""", "k=")]
    [InlineData("null label value reads as empty", """{"matchLabels":{"k":null}}""", "k=")]
    [InlineData("duplicate label key: the last wins", """{"matchLabels":{"k":"1","k":"2"}}""", "k=2")]
    [InlineData("unknown fields ignored", """{"matchLabels":{"k":"v"},"other":1}""", "k=v")]
    public void Converts_as_upstream(string name, string json, string canonical)
    {
        using var doc = JsonDocument.Parse(json);

        var selector = LabelSelector.FromJson(doc.RootElement);

        Assert.True(canonical == selector.ToString(), $"{name}: expected \"{canonical}\", got \"{selector}\"");
        Assert.False(selector.IsEmpty);
    }

    [Theory]
    [InlineData("empty object", "{}")]
    [InlineData("null members", """{"matchLabels":null,"matchExpressions":null}""")]
    [InlineData("empty members", """{"matchLabels":{},"matchExpressions":[]}""")]
    public void A_selector_without_terms_matches_everything(string name, string json)
    {
        using var doc = JsonDocument.Parse(json);

        var selector = LabelSelector.FromJson(doc.RootElement);

        Assert.True(selector.IsEmpty, name);
        Assert.True(selector.Matches(Labels("-")), name);
    }

    [Fact]
    public void A_null_or_absent_selector_matches_nothing()
    {
        using var doc = JsonDocument.Parse("""{"spec":{"selector":null}}""");

        Assert.Same(LabelSelector.Nothing, LabelSelector.FromJson(doc.RootElement.GetProperty("spec").GetProperty("selector")));
        Assert.Same(LabelSelector.Nothing, LabelSelector.FromJson(default));
    }

    [Fact]
    public void A_converted_selector_matches_as_its_text_does()
    {
        using var doc = JsonDocument.Parse("""{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"NotIn","values":["db"]},{"key":"canary","operator":"DoesNotExist"}]}""");
        var selector = LabelSelector.FromJson(doc.RootElement);

        Assert.True(selector.Matches(Labels("app=web")));
        Assert.True(selector.Matches(Labels("app=web;tier=fe")));
        Assert.False(selector.Matches(Labels("app=web;tier=db")));
        Assert.False(selector.Matches(Labels("app=web;canary=1")));
        Assert.False(selector.Matches(Labels("app=api")));
        Assert.Equal(LabelSelector.Parse(selector.ToString()), selector);
    }

    [Theory]
    [InlineData("unknown operator", """{"matchExpressions":[{"key":"k","operator":"Gt","values":["1"]}]}""", "\"Gt\" is not a valid label selector operator")]
    [InlineData("operators are case-sensitive", """{"matchExpressions":[{"key":"k","operator":"in","values":["1"]}]}""", "\"in\" is not a valid label selector operator")]
    [InlineData("missing operator", """{"matchExpressions":[{"key":"k"}]}""", "\"\" is not a valid label selector operator")]
    [InlineData("in without values", """{"matchExpressions":[{"key":"k","operator":"In","values":[]}]}""", "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty")]
    [InlineData("exists with values", """{"matchExpressions":[{"key":"k","operator":"Exists","values":["a","b"]}]}""", "values: Invalid value: []string{\"a\", \"b\"}: values set must be empty for exists and does not exist")]
    [InlineData("bad key in match labels", """{"matchLabels":{"-k":"v"}}""", "key: Invalid value: \"-k\": name part " + NameRule)]
    [InlineData("bad value in match labels", """{"matchLabels":{"k":"v_"}}""", "values[0][k]: Invalid value: \"v_\": " + ValueRule)]
    [InlineData("bad key and value aggregate", """{"matchLabels":{"/k":"-v"}}""", "[key: Invalid value: \"/k\": prefix part must be non-empty, values[0][/k]: Invalid value: \"-v\": " + ValueRule + "]")]
    [InlineData("bad value in an expression", """{"matchExpressions":[{"key":"k","operator":"NotIn","values":["ok","no pe"]}]}""", "values[1][k]: Invalid value: \"no pe\": " + ValueRule)]
    [InlineData("labels are checked before expressions, in key order", """{"matchExpressions":[{"key":"k","operator":"Gt"}],"matchLabels":{"b":"-","a":"-"}}""", "values[0][a]: Invalid value: \"-\": " + ValueRule)]
    [InlineData("selector not an object", "\"app=web\"", "json: cannot unmarshal string into Go value of type v1.LabelSelector")]
    [InlineData("label value not a string", """{"matchLabels":{"k":1}}""", "json: cannot unmarshal number into Go struct field LabelSelector.matchLabels of type string")]
    [InlineData("expressions not an array", """{"matchExpressions":{}}""", "json: cannot unmarshal object into Go struct field LabelSelector.matchExpressions of type []v1.LabelSelectorRequirement")]
    [InlineData("values not an array", """{"matchExpressions":[{"key":"k","operator":"In","values":"a"}]}""", "json: cannot unmarshal string into Go struct field LabelSelector.matchExpressions.values of type []string")]
    public void Invalid_selectors_are_refused(string name, string json, string message)
    {
        using var doc = JsonDocument.Parse(json);

        var e = Assert.Throws<StatusException>(() => LabelSelector.FromJson(doc.RootElement));

        Assert.Equal(HttpStatusCode.BadRequest, e.Code);
        Assert.True(message == e.Message, $"{name}:\nexpected: {message}\nactual:   {e.Message}");
    }

    [Fact]
    public void From_set_requires_every_label()
    {
        var selector = LabelSelector.FromSet(new Dictionary<string, string> { ["tier"] = "fe", ["app"] = "web" });

        Assert.Equal("app=web,tier=fe", selector.ToString());
        Assert.True(selector.Matches(Labels("app=web;tier=fe;x=y")));
        Assert.False(selector.Matches(Labels("app=web")));
        Assert.True(LabelSelector.FromSet(null).IsEmpty);
        Assert.True(LabelSelector.FromSet(new Dictionary<string, string>()).IsEmpty);
        var e = Assert.Throws<StatusException>(() => LabelSelector.FromSet(new Dictionary<string, string> { ["app"] = "a b" }));
        Assert.Equal("values[0][app]: Invalid value: \"a b\": " + ValueRule, e.Message);
    }
}
