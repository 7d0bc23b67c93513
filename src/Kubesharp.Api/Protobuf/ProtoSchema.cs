using System.Collections.Frozen;
using System.Globalization;

namespace Kubesharp.Api.Protobuf;

/// <summary>
/// The schema table: every message of the Kubernetes API packages Kubesharp decodes, and the kinds that may
/// arrive in a protobuf envelope. It is data (<c>Schema/messages.txt</c>, written by
/// <c>scripts/protobuf-schema.py</c> from upstream's <c>generated.proto</c> files and Go structs; the format
/// is in ADR 5), loaded once. Immutable and safe to share.
/// </summary>
internal sealed class ProtoSchema
{
    private const string ResourceName = "Kubesharp.Api.Protobuf.messages.txt";

    private static readonly Dictionary<string, SpecialKind> SpecialNames = new()
    {
        ["time"] = SpecialKind.Time,
        ["microtime"] = SpecialKind.MicroTime,
        ["duration"] = SpecialKind.Duration,
        ["quantity"] = SpecialKind.Quantity,
        ["intorstring"] = SpecialKind.IntOrString,
        ["rawextension"] = SpecialKind.RawExtension,
        ["rawjson"] = SpecialKind.RawJson,
        ["list"] = SpecialKind.List,
        ["orarray"] = SpecialKind.OrArray,
        ["orbool"] = SpecialKind.OrBool,
        ["orstringarray"] = SpecialKind.OrStringArray,
        ["envelope"] = SpecialKind.Envelope,
    };

    private static readonly Dictionary<string, ProtoType> ScalarNames = new()
    {
        ["string"] = ProtoType.String,
        ["bool"] = ProtoType.Bool,
        ["int32"] = ProtoType.Int32,
        ["int64"] = ProtoType.Int64,
        ["uint32"] = ProtoType.UInt32,
        ["uint64"] = ProtoType.UInt64,
        ["double"] = ProtoType.Double,
        ["float"] = ProtoType.Float,
        ["bytes"] = ProtoType.Bytes,
    };

    private static readonly Lazy<ProtoSchema> LazyBuiltin = new(LoadBuiltin);

    private readonly FrozenDictionary<(string ApiVersion, string Kind), ProtoMessage> _kinds;
    private readonly FrozenDictionary<string, ProtoMessage> _everyVersionKinds;

    private ProtoSchema(FrozenDictionary<string, ProtoMessage> messages, Dictionary<(string, string), ProtoMessage> kinds, Dictionary<string, ProtoMessage> everyVersion)
    {
        Messages = messages;
        _kinds = kinds.ToFrozenDictionary();
        _everyVersionKinds = everyVersion.ToFrozenDictionary();
    }

    /// <summary>The table shipped with Kubesharp (Kubernetes v1.32).</summary>
    public static ProtoSchema Builtin => LazyBuiltin.Value;

    public FrozenDictionary<string, ProtoMessage> Messages { get; }

    /// <summary>Every (apiVersion, kind) with a message; <c>*</c> as apiVersion for kinds served in every group version.</summary>
    public IEnumerable<(string ApiVersion, string Kind)> Kinds =>
        _kinds.Keys.Concat(_everyVersionKinds.Keys.Select(k => ("*", k)));

    /// <summary>The message of a kind as it names itself in an envelope, or null when the table has none.</summary>
    public ProtoMessage? FindKind(string apiVersion, string kind) =>
        _kinds.GetValueOrDefault((apiVersion, kind)) ?? _everyVersionKinds.GetValueOrDefault(kind);

    /// <summary>Parses a table; throws <see cref="FormatException"/> naming the line when it is not well formed.</summary>
    public static ProtoSchema Parse(TextReader text)
    {
        var messages = new Dictionary<string, ProtoMessage>();
        var fields = new Dictionary<ProtoMessage, List<ProtoField>>();
        var kinds = new Dictionary<(string, string), ProtoMessage>();
        var everyVersion = new Dictionary<string, ProtoMessage>();
        var kindLines = new List<(int Line, string ApiVersion, string Kind, string Message)>();
        ProtoMessage? current = null;
        var number = 0;
        while (text.ReadLine() is { } line)
        {
            number++;
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0 || words[0].StartsWith('#'))
            {
                continue;
            }

            switch (words[0])
            {
                case "message" when words.Length is 2 or 3:
                    var special = words.Length == 3
                        ? SpecialNames.GetValueOrDefault(words[2], SpecialKind.None) is var s and not SpecialKind.None ? s : throw Bad(number, $"unknown special kind {words[2]}")
                        : SpecialKind.None;
                    current = new ProtoMessage(words[1], special);
                    if (!messages.TryAdd(current.Name, current))
                    {
                        throw Bad(number, $"message {current.Name} appears twice");
                    }

                    fields[current] = [];
                    break;
                case "kind" when words.Length == 4:
                    kindLines.Add((number, words[1], words[2], words[3]));
                    break;
                default:
                    if (current is null || !char.IsAsciiDigit(words[0][0]) || words.Length < 3)
                    {
                        throw Bad(number, "expected 'message NAME [SPECIAL]', 'kind APIVERSION KIND MESSAGE' or a field 'NUMBER NAME TYPE [ptr] [omitempty]'");
                    }

                    fields[current].Add(ParseField(number, words));
                    break;
            }
        }

        foreach (var (message, list) in fields)
        {
            foreach (var field in list.Where(f => f.MessageName is not null))
            {
                field.Message = messages.GetValueOrDefault(field.MessageName!)
                    ?? throw new FormatException($"{message.Name}.{field.Name}: message {field.MessageName} is not in the schema table");
                if (field.Message.Special == SpecialKind.Envelope)
                {
                    throw new FormatException($"{message.Name}.{field.Name}: an envelope cannot be a field");
                }
            }

            message.SetFields(list);
        }

        foreach (var (line, apiVersion, kind, name) in kindLines)
        {
            var message = messages.GetValueOrDefault(name) ?? throw Bad(line, $"message {name} is not in the schema table");
            var added = apiVersion == "*" ? everyVersion.TryAdd(kind, message) : kinds.TryAdd((apiVersion, kind), message);
            if (!added)
            {
                throw Bad(line, $"kind {apiVersion} {kind} appears twice");
            }
        }

        return new ProtoSchema(messages.ToFrozenDictionary(), kinds, everyVersion);
    }

    private static ProtoField ParseField(int line, string[] words)
    {
        if (!int.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out var fieldNumber) || fieldNumber is < 1 or > 536_870_911)
        {
            throw Bad(line, $"bad field number {words[0]}");
        }

        var typeText = words[2];
        var cardinality = ProtoCardinality.Single;
        if (typeText.StartsWith("[]", StringComparison.Ordinal))
        {
            cardinality = ProtoCardinality.Repeated;
            typeText = typeText[2..];
        }
        else if (typeText.StartsWith("{}", StringComparison.Ordinal))
        {
            cardinality = ProtoCardinality.Map;
            typeText = typeText[2..];
        }

        var type = ScalarNames.GetValueOrDefault(typeText, ProtoType.Message);
        if (type == ProtoType.Message && !typeText.Contains('.', StringComparison.Ordinal))
        {
            throw Bad(line, $"unknown type {typeText}");
        }

        bool pointer = false, omitEmpty = false;
        foreach (var flag in words.AsSpan(3))
        {
            switch (flag)
            {
                case "ptr":
                    pointer = true;
                    break;
                case "omitempty":
                    omitEmpty = true;
                    break;
                default:
                    throw Bad(line, $"unknown flag {flag}");
            }
        }

        return new ProtoField(fieldNumber, words[1], cardinality, type, type == ProtoType.Message ? typeText : null, pointer, omitEmpty);
    }

    private static FormatException Bad(int line, string message) => new($"protobuf schema table, line {line}: {message}");

    private static ProtoSchema LoadBuiltin()
    {
        using var stream = typeof(ProtoSchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the embedded resource {ResourceName} is missing");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    }
}
