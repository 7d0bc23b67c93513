using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Kubesharp.Scheduler.Configuration;

/// <summary>
/// One YAML document as the JSON upstream's decoder sees it (sigs.k8s.io/yaml): plain scalars resolved as YAML 1.1
/// does (<c>true</c>/<c>yes</c>/<c>on</c> booleans, <c>~</c> null, numbers), quoted ones strings, aliases expanded.
/// A key repeated in one mapping is an error, as in upstream's strict decoding of component configuration.
/// </summary>
internal static class YamlJson
{
    /// <summary>The document's JSON, or the errors that stopped reading it (with their line).</summary>
    public static (JsonElement Json, string? Error) Parse(string yaml)
    {
        try
        {
            var parser = new Parser(new StringReader(yaml));
            parser.Consume<StreamStart>();
            if (!parser.TryConsume<DocumentStart>(out _))
            {
                return (default, "the file is empty");
            }

            var node = new Reader(parser).Node();
            return (JsonSerializer.SerializeToElement(node), null);
        }
        catch (YamlException e)
        {
            return (default, $"line {e.Start.Line}: {e.Message}");
        }
    }

    private sealed class Reader(IParser parser)
    {
        private readonly Dictionary<string, JsonNode?> _anchors = new(StringComparer.Ordinal);

        public JsonNode? Node()
        {
            if (parser.TryConsume<AnchorAlias>(out var alias))
            {
                return _anchors.TryGetValue(alias.Value.Value, out var anchored)
                    ? anchored?.DeepClone()
                    : throw new YamlException(alias.Start, alias.End, $"unknown anchor '{alias.Value.Value}'");
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
                var obj = new JsonObject();
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    var start = parser.Current!.Start;
                    var key = Node();
                    var name = key is JsonValue v && v.TryGetValue<string>(out var s) ? s : key?.ToJsonString() ?? "null";
                    var value = Node();
                    if (obj.ContainsKey(name))
                    {
                        throw new YamlException(start, start, $"key {FieldErrors.Quote(name)} already set in map");
                    }

                    obj[name] = value;
                }

                node = obj;
            }

            if (!anchor.IsEmpty)
            {
                _anchors[anchor.Value] = node?.DeepClone();
            }

            return node;
        }

        private static JsonValue? Resolve(Scalar scalar)
        {
            var value = scalar.Value;
            if (scalar.Style != ScalarStyle.Plain)
            {
                return JsonValue.Create(value);
            }

            switch (value)
            {
                case "" or "~" or "null" or "Null" or "NULL":
                    return null;
                case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON":
                    return JsonValue.Create(true);
                case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF":
                    return JsonValue.Create(false);
            }

            if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            {
                return JsonValue.Create(integer);
            }

            if (value.Length > 0 && (char.IsAsciiDigit(value[0]) || value[0] is '-' or '+' or '.') && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
            {
                return JsonValue.Create(number);
            }

            return JsonValue.Create(value);
        }
    }
}
