using System.Net;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Selectors;
using static Kubesharp.Api.Tests.Selectors.SelectorTestData;

namespace Kubesharp.Api.Tests.Selectors;

public sealed class FieldSelectorTests
{
    // Each expectation was checked against upstream v1.32's fields.ParseSelector and String().
    [Theory]
    [InlineData("equals", "metadata.name=web", "metadata.name=web", "metadata.name|=|web")]
    [InlineData("double equals reads as equals", "a==b", "a=b", "a|=|b")]
    [InlineData("not equals", "status.phase!=Running", "status.phase!=Running", "status.phase|!=|Running")]
    [InlineData("terms sorted by their written text", "b=1,a=2", "a=2,b=1", "a|=|2;b|=|1")]
    [InlineData("same field twice", "a=2,a=1", "a=1,a=2", "a|=|1;a|=|2")]
    [InlineData("empty value", "spec.nodeName=", "spec.nodeName=", "spec.nodeName|=|")]
    [InlineData("empty field kept", "=x", "=x", "|=|x")]
    [InlineData("empty terms skipped", ",a=b,,c=d,", "a=b,c=d", "a|=|b;c|=|d")]
    [InlineData("field and value both empty is dropped", "=,a=b", "a=b", "a|=|b")]
    [InlineData("spaces belong to field and value", " a = b ", " a = b ", " a |=| b ")]
    [InlineData("bang starts a value", "a=!b", "a=!b", "a|=|!b")]
    [InlineData("escaped comma", "a=b\\,c", "a=b\\,c", "a|=|b,c")]
    [InlineData("escaped equals", "a=b\\=c", "a=b\\=c", "a|=|b=c")]
    [InlineData("escaped backslash", "a=b\\\\c", "a=b\\\\c", "a|=|b\\c")]
    [InlineData("escaped comma does not split", "a=b\\,c,d=e", "a=b\\,c,d=e", "a|=|b,c;d|=|e")]
    [InlineData("not-equals with an escaped equals value", "a!=\\=b", "a!=\\=b", "a|!=|=b")]
    [InlineData("unicode value", "a=😀", "a=😀", "a|=|😀")]
    public void Valid_selectors_parse_as_upstream(string name, string selector, string canonical, string requirements)
    {
        var parsed = FieldSelector.Parse(selector);

        Assert.True(canonical == parsed.ToString(), $"{name}: expected \"{canonical}\", got \"{parsed}\"");
        var actual = string.Join(';', parsed.Requirements.Select(r => $"{r.Field}|{(r.Operator == FieldSelectorOperator.Equals ? "=" : "!=")}|{r.Value}"));
        Assert.True(requirements == actual, $"{name}: expected {requirements}, got {actual}");
        Assert.Equal(parsed, FieldSelector.Parse(parsed.ToString()));
    }

    [Theory]
    [InlineData("no operator", "a", "invalid selector: 'a'; can't understand 'a'")]
    [InlineData("no such operator", "a<b", "invalid selector: 'a<b'; can't understand 'a<b'")]
    [InlineData("the first bad term in sorted order", "b,a=c", "invalid selector: 'b,a=c'; can't understand 'b'")]
    [InlineData("unescaped equals in the value, shown as its code point", "a=b=c", "invalid field selector: unescaped character in value: 61")]
    [InlineData("no escaping in the field", "a\\=b=c", "invalid field selector: unescaped character in value: 61")]
    [InlineData("trailing backslash", "a=b\\", "invalid field selector: invalid escape sequence: \\")]
    [InlineData("bang is not escapable upstream", "a=b\\!", "invalid field selector: invalid escape sequence: \\!")]
    [InlineData("no \\n escape", "a=b\\n", "invalid field selector: invalid escape sequence: \\n")]
    [InlineData("escaped astral character shown whole", "a=b\\😀", "invalid field selector: invalid escape sequence: \\😀")]
    public void Invalid_selectors_are_refused_with_upstreams_message(string name, string selector, string message)
    {
        var e = Assert.Throws<StatusException>(() => FieldSelector.Parse(selector));

        Assert.Equal(HttpStatusCode.BadRequest, e.Code);
        Assert.True(message == e.Message, $"{name}:\nexpected: {message}\nactual:   {e.Message}");
        Assert.False(FieldSelector.TryParse(selector, out _, out var error));
        Assert.Equal(message, error);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(",")]
    [InlineData("=")]
    [InlineData("==,!=")]
    public void Nothing_to_select_on_is_the_empty_selector(string? selector)
    {
        var parsed = FieldSelector.Parse(selector);

        Assert.True(parsed.IsEmpty);
        Assert.Equal("", parsed.ToString());
        Assert.True(parsed.Matches(_ => "anything"));
    }

    [Theory]
    [InlineData("equals", "metadata.name=web", "metadata.name=web", true)]
    [InlineData("equals, other value", "metadata.name=web", "metadata.name=api", false)]
    [InlineData("equals the empty value, field missing", "spec.nodeName=", "-", true)]
    [InlineData("equals the empty value, field set", "spec.nodeName=", "spec.nodeName=n1", false)]
    [InlineData("equals, field missing", "spec.nodeName=n1", "-", false)]
    [InlineData("not equals, other value", "status.phase!=Running", "status.phase=Pending", true)]
    [InlineData("not equals, same value", "status.phase!=Running", "status.phase=Running", false)]
    [InlineData("not equals, field missing", "status.phase!=Running", "-", true)]
    [InlineData("not equals the empty value, field missing", "spec.nodeName!=", "-", false)]
    [InlineData("and of terms", "metadata.namespace=default,involvedObject.kind=Pod", "metadata.namespace=default;involvedObject.kind=Pod", true)]
    [InlineData("and, one fails", "metadata.namespace=default,involvedObject.kind=Pod", "metadata.namespace=default;involvedObject.kind=Node", false)]
    [InlineData("escaped value", "a=x\\,y\\=z", "a=x,y=z", true)]
    public void Matches_as_upstream(string name, string selector, string fields, bool expected)
    {
        var parsed = FieldSelector.Parse(selector);
        var values = Labels(fields);

        Assert.True(expected == parsed.Matches(f => values.GetValueOrDefault(f)), $"{name}: expected {expected}");
        Assert.True(expected == parsed.Matches(values, static (v, f) => v.GetValueOrDefault(f)), $"{name}: with state: expected {expected}");
    }

    [Theory]
    [InlineData("name", "metadata.name=web,metadata.namespace=default", "metadata.name", "web")]
    [InlineData("namespace", "metadata.name=web,metadata.namespace=default", "metadata.namespace", "default")]
    [InlineData("double equals", "metadata.name==web", "metadata.name", "web")]
    [InlineData("not equals is no exact match", "metadata.name!=web", "metadata.name", null)]
    [InlineData("the first equals term in sorted order", "metadata.name=b,metadata.name=a", "metadata.name", "a")]
    [InlineData("absent", "spec.nodeName=n1", "metadata.name", null)]
    public void RequiresExactMatch_finds_the_fast_path_value(string name, string selector, string field, string? expected)
    {
        var found = FieldSelector.Parse(selector).RequiresExactMatch(field, out var value);

        Assert.True(expected == value && found == (expected is not null), $"{name}: expected {expected ?? "none"}, got {value ?? "none"}");
    }

    [Fact]
    public void Requirements_let_the_server_refuse_unsupported_fields()
    {
        var supported = new HashSet<string> { "metadata.name", "metadata.namespace", "spec.nodeName", "status.phase" };
        var selector = FieldSelector.Parse("spec.nodeName=n1,spec.replicas=3");

        var unsupported = selector.Requirements.Select(r => r.Field).Where(f => !supported.Contains(f)).ToList();

        Assert.Equal(["spec.replicas"], unsupported);
    }

    [Fact]
    public void Transform_rewrites_terms_drops_emptied_ones_and_lets_refusals_through()
    {
        var selector = FieldSelector.Parse("spec.host=n1,status.phase!=Failed,drop=me");

        var transformed = selector.Transform((field, value) => field switch
        {
            "spec.host" => ("spec.nodeName", value),
            "drop" => ("", ""),
            _ => (field, value),
        });

        Assert.Equal("spec.nodeName=n1,status.phase!=Failed", transformed.ToString());
        Assert.Equal("drop=me,spec.host=n1,status.phase!=Failed", selector.ToString());
        var e = Assert.Throws<StatusException>(() => selector.Transform((field, _) => throw StatusException.BadRequest($"field label not supported: {field}")));
        Assert.Equal("field label not supported: drop", e.Message);
    }

    [Theory]
    [InlineData("plain", "abc", "abc")]
    [InlineData("specials", "a\\b,c=d!e", "a\\\\b\\,c\\=d!e")]
    public void EscapeValue_escapes_backslash_comma_and_equals(string name, string value, string escaped)
    {
        Assert.True(escaped == FieldSelector.EscapeValue(value), name);
    }

    [Fact]
    public void Matching_with_state_allocates_nothing()
    {
        var selector = FieldSelector.Parse("metadata.namespace=default,status.phase!=Failed,spec.nodeName=n1");
        var fields = Labels("metadata.namespace=default;status.phase=Running;spec.nodeName=n1");

        // A static lambda is one cached delegate; its first use, here, creates it.
        Func<Dictionary<string, string>, string, string?> get = static (f, name) => f.GetValueOrDefault(name);
        Assert.True(selector.Matches(fields, get));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var matched = 0;
        for (var i = 0; i < 1000; i++)
        {
            matched += selector.Matches(fields, get) ? 1 : 0;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1000, matched);
        Assert.True(allocated == 0, $"expected no allocation over 1000 matches, got {allocated} bytes");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(20240601)]
    public void Random_values_escape_and_parse_back(int seed)
    {
        var random = new Random(seed);
        var alphabet = new[] { "a", "b", ".", "=", "!", "\\", ",", " ", "é", "😀", "!=", "==" };
        for (var round = 0; round < 500; round++)
        {
            var value = string.Concat(Enumerable.Range(0, random.Next(0, 8)).Select(_ => alphabet[random.Next(alphabet.Length)]));
            var field = new[] { "metadata.name", "spec.nodeName", "x" }[random.Next(3)];
            var op = random.Next(2) == 0 ? "=" : "!=";
            var text = field + op + FieldSelector.EscapeValue(value);

            Assert.True(FieldSelector.TryParse(text, out var parsed, out var error), $"seed {seed} round {round}: \"{text}\" failed: {error}");
            var requirement = Assert.Single(parsed.Requirements);
            Assert.Equal((field, op == "=" ? FieldSelectorOperator.Equals : FieldSelectorOperator.NotEquals, value), (requirement.Field, requirement.Operator, requirement.Value));
            Assert.Equal(text, parsed.ToString());
            Assert.Equal(op == "=", parsed.Matches(f => f == field ? value : null));
        }
    }
}
