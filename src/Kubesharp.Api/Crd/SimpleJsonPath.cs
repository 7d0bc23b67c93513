using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kubesharp.Api.Patch;

namespace Kubesharp.Api.Crd;

/// <summary>
/// The JSONPath that CRD printer columns, selectable fields and scale paths use, evaluated as kubectl's
/// (client-go's) <c>jsonpath</c> package does with missing keys allowed: fields (<c>.spec.replicas</c>,
/// <c>['a.b']</c>, <c>a\.b</c>), indexes and slices (<c>[0]</c>, <c>[-1]</c>, <c>[1:3]</c>), wildcards (<c>[*]</c>,
/// <c>.*</c>), recursive descent (<c>..name</c>) and filters (<c>[?(@.type=="Ready")]</c>, with <c>==</c>,
/// <c>!=</c>, <c>&lt;</c>, <c>&gt;</c>, <c>&lt;=</c>, <c>&gt;=</c>, or a bare path for existence). The optional
/// surrounding braces are accepted. Immutable and thread-safe once parsed.
/// </summary>
public sealed class SimpleJsonPath
{
    private readonly Step[] _steps;

    private SimpleJsonPath(string text, Step[] steps)
    {
        Text = text;
        _steps = steps;
    }

    public string Text { get; }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> when it is not a path this evaluator reads.</summary>
    public static SimpleJsonPath Parse(string text)
    {
        var body = text.Trim();
        if (body.StartsWith('{') && body.EndsWith('}'))
        {
            body = body[1..^1].Trim();
        }

        var parser = new Parser(body);
        return new SimpleJsonPath(text, parser.Steps());
    }

    public static bool TryParse(string text, out SimpleJsonPath? path)
    {
        try
        {
            path = Parse(text);
            return true;
        }
        catch (FormatException)
        {
            path = null;
            return false;
        }
    }

    /// <summary>Every value the path reaches in <paramref name="root"/>, in document order; empty when a key is missing.</summary>
    public IReadOnlyList<JsonElement> Evaluate(JsonElement root)
    {
        IEnumerable<JsonElement> current = [root];
        foreach (var step in _steps)
        {
            current = current.SelectMany(step.Apply).ToList();
        }

        return current as IReadOnlyList<JsonElement> ?? [.. current];
    }

    /// <summary>The first value the path reaches, or null.</summary>
    public JsonElement? First(JsonElement root) => Evaluate(root) is { Count: > 0 } all ? all[0] : null;

    /// <summary>
    /// A value as kubectl's jsonpath prints it: strings bare, numbers and booleans as Go prints them, objects and
    /// lists as compact JSON with sorted keys; null for a JSON null (which it cannot print).
    /// </summary>
    public static string? Print(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => long.TryParse(value.GetRawText(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n.ToString(CultureInfo.InvariantCulture)
            : GoFormat.Float(value.GetDouble()),
        JsonValueKind.Object or JsonValueKind.Array => GoJson(value),
        _ => null,
    };

    private static string GoJson(JsonElement value)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteSorted(w, value);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    // Go marshals a decoded map with its keys sorted.
    private static void WriteSorted(Utf8JsonWriter w, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var p in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    w.WritePropertyName(p.Name);
                    WriteSorted(w, p.Value);
                }

                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteSorted(w, item);
                }

                w.WriteEndArray();
                break;
            default:
                value.WriteTo(w);
                break;
        }
    }

    private abstract record Step
    {
        public abstract IEnumerable<JsonElement> Apply(JsonElement e);
    }

    private sealed record FieldStep(string Name) : Step
    {
        public override IEnumerable<JsonElement> Apply(JsonElement e) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(Name, out var v) ? [v] : [];
    }

    private sealed record WildcardStep : Step
    {
        public override IEnumerable<JsonElement> Apply(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.Object => e.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Value),
            JsonValueKind.Array => e.EnumerateArray(),
            _ => [],
        };
    }

    private sealed record RecursiveStep(Step Inner) : Step
    {
        public override IEnumerable<JsonElement> Apply(JsonElement e)
        {
            var results = new List<JsonElement>();
            Walk(e, results);
            return results;
        }

        private void Walk(JsonElement e, List<JsonElement> results)
        {
            results.AddRange(Inner.Apply(e));
            foreach (var child in new WildcardStep().Apply(e))
            {
                Walk(child, results);
            }
        }
    }

    private sealed record SliceStep(int? Start, int? End, bool IsIndex) : Step
    {
        public override IEnumerable<JsonElement> Apply(JsonElement e)
        {
            if (e.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            var length = e.GetArrayLength();
            if (IsIndex)
            {
                var i = Start!.Value < 0 ? Start.Value + length : Start.Value;
                return i >= 0 && i < length ? [e[i]] : [];
            }

            var from = Math.Clamp(Start is { } s ? (s < 0 ? s + length : s) : 0, 0, length);
            var to = Math.Clamp(End is { } x ? (x < 0 ? x + length : x) : length, 0, length);
            return Enumerable.Range(from, Math.Max(0, to - from)).Select(i => e[i]);
        }
    }

    private sealed record FilterStep(Step[] Left, string? Op, Literal? Right) : Step
    {
        public override IEnumerable<JsonElement> Apply(JsonElement e)
        {
            var items = e.ValueKind switch
            {
                JsonValueKind.Array => e.EnumerateArray().ToList(),
                JsonValueKind.Object => [e],
                _ => [],
            };
            return items.Where(Matches);
        }

        private bool Matches(JsonElement item)
        {
            IEnumerable<JsonElement> found = [item];
            foreach (var step in Left)
            {
                found = found.SelectMany(step.Apply).ToList();
            }

            var values = found.ToList();
            if (Op is null)
            {
                return values.Count > 0;
            }

            return values.Any(v => Compare(v, Op, Right!));
        }

        private static bool Compare(JsonElement v, string op, Literal right)
        {
            int? order = (v.ValueKind, right.Kind) switch
            {
                (JsonValueKind.String, JsonValueKind.String) => string.CompareOrdinal(v.GetString(), right.Text),
                (JsonValueKind.Number, JsonValueKind.Number) => v.GetDouble().CompareTo(double.Parse(right.Text, CultureInfo.InvariantCulture)),
                (JsonValueKind.True or JsonValueKind.False, JsonValueKind.True or JsonValueKind.False) => v.ValueKind == right.Kind ? 0 : 1,
                _ => null,
            };
            return op switch
            {
                "==" => order == 0,
                "!=" => order != 0,
                "<" => order < 0,
                ">" => order > 0,
                "<=" => order <= 0,
                ">=" => order >= 0,
                _ => false,
            };
        }
    }

    private sealed record Literal(JsonValueKind Kind, string Text);

    private sealed class Parser(string text)
    {
        private int _pos;

        public Step[] Steps()
        {
            var steps = new List<Step>();
            while (_pos < text.Length)
            {
                steps.Add(NextStep(inFilter: false) ?? throw Error("unexpected character"));
            }

            return [.. steps];
        }

        private Step? NextStep(bool inFilter)
        {
            if (_pos >= text.Length)
            {
                return null;
            }

            switch (text[_pos])
            {
                case '.' when _pos + 1 < text.Length && text[_pos + 1] == '.':
                    _pos += 2;
                    if (_pos >= text.Length)
                    {
                        throw Error("path ends with '..'");
                    }

                    return new RecursiveStep(text[_pos] == '[' ? Bracket() : Name());
                case '.':
                    _pos++;
                    if (_pos >= text.Length)
                    {
                        // A lone "." is the root itself.
                        return text.Length == 1 ? new IdentityStep() : throw Error("path ends with '.'");
                    }

                    return text[_pos] == '[' ? Bracket() : Name();
                case '[':
                    return Bracket();
                case ' ' or ')' or '=' or '!' or '<' or '>' when inFilter:
                    return null;
                default:
                    if (_pos == 0 && !inFilter)
                    {
                        return Name();
                    }

                    throw Error($"unexpected '{text[_pos]}'");
            }
        }

        private Step Name()
        {
            if (_pos < text.Length && text[_pos] == '*')
            {
                _pos++;
                return new WildcardStep();
            }

            var name = new StringBuilder();
            while (_pos < text.Length && text[_pos] is not ('.' or '[' or ' ' or ')' or '=' or '!' or '<' or '>'))
            {
                if (text[_pos] == '\\' && _pos + 1 < text.Length)
                {
                    _pos++;
                }

                name.Append(text[_pos++]);
            }

            return name.Length == 0 ? throw Error("empty field name") : new FieldStep(name.ToString());
        }

        private Step Bracket()
        {
            _pos++; // '['
            SkipSpaces();
            Step step;
            if (Peek('*'))
            {
                _pos++;
                step = new WildcardStep();
            }
            else if (Peek('\'') || Peek('"'))
            {
                step = new FieldStep(Quoted());
            }
            else if (Peek('?'))
            {
                _pos++;
                Expect('(');
                step = Filter();
                Expect(')');
            }
            else
            {
                var start = Integer();
                SkipSpaces();
                if (Peek(':'))
                {
                    _pos++;
                    var end = Integer();
                    SkipSpaces();
                    if (Peek(':'))
                    {
                        // A step ([a:b:1]) is accepted; other steps are not supported.
                        _pos++;
                        Integer();
                    }

                    step = new SliceStep(start, end, false);
                }
                else
                {
                    step = start is null ? throw Error("empty index") : new SliceStep(start, null, true);
                }
            }

            SkipSpaces();
            Expect(']');
            return step;
        }

        private FilterStep Filter()
        {
            SkipSpaces();
            Expect('@');
            var left = new List<Step>();
            while (NextStep(inFilter: true) is { } s)
            {
                left.Add(s);
            }

            SkipSpaces();
            if (Peek(')'))
            {
                return new FilterStep([.. left], null, null);
            }

            var op = text[_pos..].StartsWith("==", StringComparison.Ordinal) ? "=="
                : text[_pos..].StartsWith("!=", StringComparison.Ordinal) ? "!="
                : text[_pos..].StartsWith("<=", StringComparison.Ordinal) ? "<="
                : text[_pos..].StartsWith(">=", StringComparison.Ordinal) ? ">="
                : Peek('<') ? "<"
                : Peek('>') ? ">"
                : throw Error("unknown filter operator");
            _pos += op.Length;
            SkipSpaces();
            Literal right;
            if (Peek('\'') || Peek('"'))
            {
                right = new Literal(JsonValueKind.String, Quoted());
            }
            else
            {
                var start = _pos;
                while (_pos < text.Length && text[_pos] is not (')' or ' '))
                {
                    _pos++;
                }

                var word = text[start.._pos];
                right = word switch
                {
                    "true" => new Literal(JsonValueKind.True, word),
                    "false" => new Literal(JsonValueKind.False, word),
                    _ when double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out _) => new Literal(JsonValueKind.Number, word),
                    _ => throw Error($"unrecognized literal {word}"),
                };
            }

            SkipSpaces();
            return new FilterStep([.. left], op, right);
        }

        private string Quoted()
        {
            var quote = text[_pos++];
            var value = new StringBuilder();
            while (_pos < text.Length && text[_pos] != quote)
            {
                if (text[_pos] == '\\' && _pos + 1 < text.Length)
                {
                    _pos++;
                }

                value.Append(text[_pos++]);
            }

            Expect(quote);
            return value.ToString();
        }

        private int? Integer()
        {
            SkipSpaces();
            var start = _pos;
            if (Peek('-'))
            {
                _pos++;
            }

            while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
            {
                _pos++;
            }

            return _pos == start ? null : int.TryParse(text[start.._pos], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : throw Error("bad index");
        }

        private bool Peek(char c) => _pos < text.Length && text[_pos] == c;

        private void Expect(char c)
        {
            SkipSpaces();
            if (!Peek(c))
            {
                throw Error($"expected '{c}'");
            }

            _pos++;
        }

        private void SkipSpaces()
        {
            while (_pos < text.Length && text[_pos] == ' ')
            {
                _pos++;
            }
        }

        private FormatException Error(string why) => new($"invalid JSONPath \"{text}\" at {_pos}: {why}");
    }

    private sealed record IdentityStep : Step
    {
        public override IEnumerable<JsonElement> Apply(JsonElement e) => [e];
    }
}
