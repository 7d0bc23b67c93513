using System.Text;
using System.Text.Json;

namespace Kubesharp.Api.Schema.Fields;

/// <summary>
/// Finds the unknown and duplicate fields of a JSON document against a schema, as upstream's strict decoder
/// (sigs.k8s.io/json) reports them: in document order, each message once, at most 100. One forward pass of a
/// <see cref="Utf8JsonReader"/> with no tree built and no allocation while nothing is wrong: a body is checked on
/// every create, update and patch. Stateless and thread-safe.
/// </summary>
/// <remarks>
/// Unknown fields are looked for in objects of a known shape only: below an <see cref="SchemaShape.Any"/> value
/// or an object that preserves unknown fields, only duplicates are. A field both unknown and repeated is
/// reported once, as unknown, as upstream does for typed objects. A value of the wrong JSON type for its field
/// (a boolean label, a string replica count) is reported as <see cref="FieldProblemKind.WrongType"/> with Go's
/// decoding message, and not walked further. Malformed JSON yields no problems: the caller's parse reports it.
/// </remarks>
public static class FieldChecker
{
    /// <summary>Upstream stops collecting strict errors at this many.</summary>
    public const int MaxProblems = 100;

    private const int MaxDepth = 256;

    /// <summary>The problems of <paramref name="json"/> against <paramref name="schema"/>; empty when none.</summary>
    public static IReadOnlyList<FieldProblem> Check(ReadOnlySpan<byte> json, ApiSchema schema) => Run(json, schema) ?? [];

    /// <summary>The duplicate fields of <paramref name="json"/> anywhere in it (patch bodies, which have no schema).</summary>
    public static IReadOnlyList<FieldProblem> Duplicates(ReadOnlySpan<byte> json) => Run(json, null) ?? [];

    private static List<FieldProblem>? Run(ReadOnlySpan<byte> json, ApiSchema? schema)
    {
        var state = new State();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        try
        {
            if (reader.Read())
            {
                Walk(ref reader, json, schema, state);
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return state.Problems;
    }

    /// <summary>Checks the value the reader is on, leaving the reader on its last token. A null schema is free JSON.</summary>
    private static void Walk(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ApiSchema? schema, State state)
    {
        if (schema is not null && reader.TokenType != JsonTokenType.Null && !Accepts(schema, ref reader))
        {
            state.ReportType(schema, ref reader, json);
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }

            return;
        }

        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject when schema is { Shape: SchemaShape.Object }:
                state.Enter(schema);
                WalkObject(ref reader, json, schema, state);
                state.Leave();
                break;
            case JsonTokenType.StartObject when schema is null or { Shape: SchemaShape.Map or SchemaShape.Any }:
                WalkMap(ref reader, json, schema?.Shape == SchemaShape.Map ? schema.Items : null, state);
                break;
            case JsonTokenType.StartArray when schema is null or { Shape: SchemaShape.Array or SchemaShape.Any }:
                var items = schema?.Shape == SchemaShape.Array ? schema.Items : null;
                var index = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    state.Push(Segment.At(index++));
                    Walk(ref reader, json, items, state);
                    state.Pop();
                }

                break;
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                reader.Skip();
                break;
        }
    }

    private static void WalkObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ApiSchema schema, State state)
    {
        var count = schema.Properties.Count;
        Span<ulong> seen = count <= 512 ? stackalloc ulong[(count + 63) / 64] : new ulong[(count + 63) / 64];
        Span<char> buffer = stackalloc char[128];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var start = (int)reader.TokenStartIndex + 1;
            var length = reader.ValueSpan.Length;
            ApiProperty? property;
            if (!reader.ValueIsEscaped && length <= buffer.Length)
            {
                var chars = Encoding.UTF8.GetChars(reader.ValueSpan, buffer);
                property = schema.Property(buffer[..chars]);
            }
            else
            {
                property = schema.Property(reader.GetString()!);
            }

            state.Push(new Segment(start, length, reader.ValueIsEscaped, 0));
            reader.Read();
            if (property is null)
            {
                if (schema.PreserveUnknownFields)
                {
                    Walk(ref reader, json, null, state);
                }
                else
                {
                    state.Report(FieldProblemKind.Unknown, json);
                    reader.Skip();
                }
            }
            else
            {
                ref var word = ref seen[property.Index / 64];
                var bit = 1UL << (property.Index % 64);
                if ((word & bit) != 0)
                {
                    state.Report(FieldProblemKind.Duplicate, json);
                }

                word |= bit;
                Walk(ref reader, json, property.Schema, state);
            }

            state.Pop();
        }
    }

    /// <summary>Whether the token the reader is on can be decoded into a field of <paramref name="schema"/> (null always can).</summary>
    private static bool Accepts(ApiSchema schema, ref Utf8JsonReader reader) => schema.Shape switch
    {
        SchemaShape.Object or SchemaShape.Map => reader.TokenType == JsonTokenType.StartObject,
        SchemaShape.Array => reader.TokenType == JsonTokenType.StartArray,
        SchemaShape.String => reader.TokenType == JsonTokenType.String,
        SchemaShape.Boolean => reader.TokenType is JsonTokenType.True or JsonTokenType.False,
        SchemaShape.Integer => reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out _),
        SchemaShape.Number => reader.TokenType == JsonTokenType.Number,
        SchemaShape.IntOrString => reader.TokenType == JsonTokenType.String || (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out _)),
        SchemaShape.Quantity => reader.TokenType is JsonTokenType.String or JsonTokenType.Number,
        _ => true,
    };

    /// <summary>An object with free keys: each value against <paramref name="values"/> (null: free JSON), repeated keys reported.</summary>
    private static void WalkMap(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ApiSchema? values, State state)
    {
        // Keys are compared as raw bytes, the first 32 in place; larger maps fall back to a set of strings.
        Span<int> starts = stackalloc int[32];
        Span<int> lengths = stackalloc int[32];
        HashSet<string>? many = null;
        var keys = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var start = (int)reader.TokenStartIndex + 1;
            var length = reader.ValueSpan.Length;
            var key = json.Slice(start, length);
            var duplicate = false;
            if (many is null && keys < starts.Length)
            {
                for (var i = 0; i < keys && !duplicate; i++)
                {
                    duplicate = json.Slice(starts[i], lengths[i]).SequenceEqual(key);
                }

                starts[keys] = start;
                lengths[keys] = length;
            }
            else
            {
                if (many is null)
                {
                    many = new HashSet<string>(StringComparer.Ordinal);
                    for (var i = 0; i < keys; i++)
                    {
                        many.Add(Encoding.UTF8.GetString(json.Slice(starts[i], lengths[i])));
                    }
                }

                duplicate = !many.Add(Encoding.UTF8.GetString(key));
            }

            keys++;
            state.Push(new Segment(start, length, reader.ValueIsEscaped, 0));
            state.MarkMapKey();
            if (duplicate)
            {
                state.Report(FieldProblemKind.Duplicate, json);
            }

            reader.Read();
            Walk(ref reader, json, values, state);
            state.UnmarkMapKey();
            state.Pop();
        }
    }

    /// <summary>One step of the path: a property name as a slice of the document (decoded only when a problem is
    /// reported), or a list index.</summary>
    private readonly record struct Segment(int Start, int Length, bool Escaped, int Index)
    {
        public static Segment At(int index) => new(-1, 0, false, index);

        public object Decode(ReadOnlySpan<byte> json)
        {
            if (Start < 0)
            {
                return Index;
            }

            if (!Escaped)
            {
                return Encoding.UTF8.GetString(json.Slice(Start, Length));
            }

            var quoted = new Utf8JsonReader(json.Slice(Start - 1, Length + 2));
            quoted.Read();
            return quoted.GetString()!;
        }
    }

    /// <summary>The path being walked and what was found so far.</summary>
    private sealed class State
    {
        private Segment[] _path = new Segment[16];
        private int _depth;
        private HashSet<string>? _messages;
        private ApiSchema[] _structs = new ApiSchema[16];
        private int _structDepth;

        public List<FieldProblem>? Problems { get; private set; }

        public void Push(Segment segment)
        {
            if (_depth == _path.Length)
            {
                Array.Resize(ref _path, _path.Length * 2);
            }

            _path[_depth++] = segment;
        }

        public void Pop() => _depth--;

        /// <summary>Entering a Go struct: Go's type errors name the innermost one.</summary>
        public void Enter(ApiSchema schema)
        {
            if (_structDepth == _structs.Length)
            {
                Array.Resize(ref _structs, _structs.Length * 2);
            }

            _structs[_structDepth++] = schema;
        }

        public void Leave() => _structDepth--;

        /// <summary>
        /// Go's <c>UnmarshalTypeError</c>: the JSON value's kind, the innermost struct, the path of struct field
        /// names from the root (no list indexes, no map keys), and the Go type of the field.
        /// </summary>
        public void ReportType(ApiSchema schema, ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
        {
            if (Problems?.Count >= MaxProblems)
            {
                return;
            }

            var value = reader.TokenType switch
            {
                JsonTokenType.String => "string",
                JsonTokenType.True or JsonTokenType.False => "bool",
                JsonTokenType.StartArray => "array",
                JsonTokenType.StartObject => "object",
                JsonTokenType.Number when schema.Shape is SchemaShape.Integer or SchemaShape.IntOrString => "number " + Encoding.UTF8.GetString(reader.ValueSpan),
                _ => "number",
            };
            var names = new List<string>();
            var segments = new object[_depth];
            for (var i = 0; i < _depth; i++)
            {
                segments[i] = _path[i].Decode(json);
                // Map keys are not struct fields: a segment right after a map's own field is a key when the
                // field's value was a map; Go's path skips them, as it skips list indexes.
                if (segments[i] is string name && !_mapKeys.Contains(i))
                {
                    names.Add(name);
                }
            }

            var owner = _structDepth > 0 ? GoTypeName(_structs[_structDepth - 1]) : "";
            var dot = owner.IndexOf('.', StringComparison.Ordinal);
            var structName = dot >= 0 ? owner[(dot + 1)..] : owner;
            var detail = $"json: cannot unmarshal {value} into Go struct field {structName}.{string.Join('.', names)} of type {GoTypeName(schema)}";
            var problem = new FieldProblem(FieldProblemKind.WrongType, segments, detail);
            _messages ??= new HashSet<string>(StringComparer.Ordinal);
            if (_messages.Add(problem.Message))
            {
                (Problems ??= []).Add(problem);
            }
        }

        private readonly HashSet<int> _mapKeys = [];

        public void MarkMapKey() => _mapKeys.Add(_depth - 1);

        public void UnmarkMapKey() => _mapKeys.Remove(_depth - 1);

        /// <summary>How Go prints the field's type: <c>string</c>, <c>int32</c>, <c>v1.PodSpec</c>, <c>[]v1.Container</c>, <c>map[string]string</c>.</summary>
        private static string GoTypeName(ApiSchema schema) => schema.Shape switch
        {
            SchemaShape.String => "string",
            SchemaShape.Boolean => "bool",
            SchemaShape.Integer => schema.Format == "int32" ? "int32" : "int64",
            SchemaShape.Number => "float64",
            SchemaShape.IntOrString => "intstr.IntOrString",
            SchemaShape.Quantity => "resource.Quantity",
            SchemaShape.Array => "[]" + (schema.Items is { } items ? GoTypeName(items) : "interface {}"),
            SchemaShape.Map => "map[string]" + (schema.Items is { } values ? GoTypeName(values) : "interface {}"),
            SchemaShape.Object when schema.Name is { } name => GoPackageType(name),
            _ => "interface {}",
        };

        /// <summary><c>io.k8s.api.core.v1.PodSpec</c> as Go prints it: <c>v1.PodSpec</c>.</summary>
        private static string GoPackageType(string definition)
        {
            var last = definition.LastIndexOf('.');
            var previous = last > 0 ? definition.LastIndexOf('.', last - 1) : -1;
            return previous >= 0 ? definition[(previous + 1)..] : definition;
        }

        public void Report(FieldProblemKind kind, ReadOnlySpan<byte> json)
        {
            if (Problems?.Count >= MaxProblems)
            {
                return;
            }

            var segments = new object[_depth];
            for (var i = 0; i < segments.Length; i++)
            {
                segments[i] = _path[i].Decode(json);
            }

            var problem = new FieldProblem(kind, segments);
            _messages ??= new HashSet<string>(StringComparer.Ordinal);
            if (_messages.Add(problem.Message))
            {
                (Problems ??= []).Add(problem);
            }
        }
    }
}
