using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Kubesharp.Api.Errors;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Kubesharp.ApiServer.Http;

/// <summary>
/// A YAML request body (<c>Content-Type: application/yaml</c>) turned into the JSON upstream's decoder sees
/// (sigs.k8s.io/yaml over go-yaml v2): the first document only; plain scalars resolved as YAML 1.1 does
/// (<c>yes</c>/<c>no</c>/<c>on</c>/<c>off</c> are booleans, though not <c>y</c>/<c>n</c>, <c>~</c> is null, numbers are numbers); anchors,
/// aliases and <c>&lt;&lt;</c> merges expanded; object keys sorted, as Go marshals maps. A key repeated in one
/// mapping keeps its last value and is reported as go-yaml words it (<c>line 5: key "name" already set in
/// map</c>) for the field validation directive to use. Stateless.
/// </summary>
internal static partial class YamlBody
{
    /// <summary>The JSON of a YAML document and the keys it repeats. Malformed YAML is a 400 naming the line.</summary>
    public static (byte[] Json, IReadOnlyList<string> Duplicates) ToJson(ReadOnlySpan<byte> yaml)
    {
        var duplicates = new List<string>();
        JsonNode? root;
        try
        {
            using var text = new StringReader(Encoding.UTF8.GetString(yaml));
            var parser = new Parser(text);
            parser.Consume<StreamStart>();
            if (!parser.TryConsume<DocumentStart>(out _))
            {
                return ("null"u8.ToArray(), duplicates);
            }

            root = new Reader(parser, duplicates).Node();
        }
        catch (YamlException e)
        {
            var message = e.Message;
            var cut = message.IndexOf("): ", StringComparison.Ordinal);
            if (message.StartsWith('(') && cut > 0)
            {
                message = message[(cut + 3)..];
            }

            throw StatusException.BadRequest($"error converting YAML to JSON: yaml: line {e.Start.Line}: {message.TrimEnd('.')}");
        }

        return (root is null ? "null"u8.ToArray() : JsonSerializer.SerializeToUtf8Bytes(root), duplicates);
    }

    [GeneratedRegex("^[-+]?(0|[1-9][0-9_]*)$")]
    private static partial Regex Decimal();

    [GeneratedRegex("^[-+]?(\\.[0-9]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();

    /// <summary>Reads one node from the event stream; keeps the anchors it meets.</summary>
    private sealed class Reader(IParser parser, List<string> duplicates)
    {
        private readonly Dictionary<string, JsonNode?> _anchors = new(StringComparer.Ordinal);

        public JsonNode? Node()
        {
            if (parser.TryConsume<AnchorAlias>(out var alias))
            {
                return _anchors.TryGetValue(alias.Value.Value, out var anchored)
                    ? anchored?.DeepClone()
                    : throw new YamlException(alias.Start, alias.End, $"unknown anchor '{alias.Value.Value}' referenced");
            }

            JsonNode? node;
            AnchorName anchor;
            if (parser.TryConsume<Scalar>(out var scalar))
            {
                anchor = scalar.Anchor;
                node = Resolve(scalar);
            }
            else if (parser.TryConsume<SequenceStart>(out var sequence))
            {
                anchor = sequence.Anchor;
                var array = new JsonArray();
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    array.Add(Node());
                }

                node = array;
            }
            else
            {
                var mapping = parser.Consume<MappingStart>();
                anchor = mapping.Anchor;
                node = Mapping();
            }

            if (!anchor.IsEmpty)
            {
                _anchors[anchor.Value] = node?.DeepClone();
            }

            return node;
        }

        private JsonObject Mapping()
        {
            var entries = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal);
            var merged = new List<JsonObject>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyStart = parser.Current!.Start;
                var isMerge = parser.Current is Scalar { Value: "<<", Style: ScalarStyle.Plain };
                var key = Node();
                var value = Node();
                if (isMerge)
                {
                    merged.AddRange(value switch
                    {
                        JsonObject one => [one],
                        JsonArray many => many.OfType<JsonObject>(),
                        _ => [],
                    });
                    continue;
                }

                var name = key switch
                {
                    null => "null",
                    JsonValue v when v.TryGetValue<string>(out var s) => s,
                    _ => key.ToJsonString(),
                };
                if (!entries.TryAdd(name, value))
                {
                    duplicates.Add($"line {keyStart.Line}: key \"{name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\" already set in map");
                    entries[name] = value;
                }
            }

            // Keys of the mapping itself win over merged ones; earlier merged mappings over later ones.
            foreach (var source in merged)
            {
                foreach (var (name, value) in source)
                {
                    entries.TryAdd(name, value?.DeepClone());
                }
            }

            var obj = new JsonObject();
            foreach (var (name, value) in entries)
            {
                obj[name] = value;
            }

            return obj;
        }

        private static JsonValue? Resolve(Scalar scalar)
        {
            var value = scalar.Value;
            if (scalar.Style != ScalarStyle.Plain || (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific && scalar.Tag.Value is "tag:yaml.org,2002:str" or "!!str"))
            {
                return JsonValue.Create(value);
            }

            switch (value)
            {
                case "" or "~" or "null" or "Null" or "NULL":
                    return null;
                case "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON":
                    return JsonValue.Create(true);
                case "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF":
                    return JsonValue.Create(false);
            }

            var digits = value.Replace("_", "", StringComparison.Ordinal);
            if (Decimal().IsMatch(value) && long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            {
                return JsonValue.Create(integer);
            }

            if (digits.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(digits[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
            {
                return JsonValue.Create(hex);
            }

            if (Float().IsMatch(value) && double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return JsonValue.Create(number);
            }

            return JsonValue.Create(value);
        }
    }
}
