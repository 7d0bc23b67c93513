using System.Text.Json;

namespace Kubesharp.Api.Tests.Selectors;

/// <summary>Shared helpers and upstream's rule texts for the selector tests.</summary>
internal static class SelectorTestData
{
    public const string NameRule =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    public const string ValueRule =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    public const string SubdomainRule =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    public const string QualifiedNameRule =
        "a qualified name " + NameRule + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";

    /// <summary>Labels written <c>k=v;k2=v2</c> ("-" for none), for readable theory rows.</summary>
    public static Dictionary<string, string> Labels(string text)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (text == "-")
        {
            return labels;
        }

        foreach (var pair in text.Split(';'))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            labels[pair[..eq]] = pair[(eq + 1)..];
        }

        return labels;
    }

    /// <summary>A stored object of some kind whose <c>metadata.labels</c> are <paramref name="labels"/>.</summary>
    public static JsonDocument ObjectWithLabels(IReadOnlyDictionary<string, string> labels) =>
        JsonDocument.Parse(JsonSerializer.Serialize(new
        {
            apiVersion = "v1",
            kind = "Pod",
            metadata = new { name = "p", @namespace = "default", labels },
            spec = new { nodeName = "n1" },
        }));
}
