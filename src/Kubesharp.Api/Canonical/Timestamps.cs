using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Schema.Models;

namespace Kubesharp.Api.Canonical;

/// <summary>
/// ADR 3: the server writes the time fields of built-in kinds as upstream marshals them, whatever a client sent.
/// A <c>metav1.Time</c> becomes <c>t.UTC().Format(time.RFC3339)</c> (<c>2026-01-02T03:04:05Z</c>, the fraction
/// dropped, an offset turned into <c>Z</c>), a <c>metav1.MicroTime</c> <c>t.UTC().Format(RFC3339Micro)</c> (six
/// fractional digits, truncated), and Go's zero time (<c>0001-01-01T00:00:00Z</c>) <c>null</c>, as both types
/// marshal it. Clients write otherwise: the C# client (KubernetesClient 21) puts six fractional digits in every
/// time, Times included, and hand-written bodies carry any RFC 3339; Go clients refuse a MicroTime without
/// exactly six digits.
/// </summary>
/// <remarks>
/// <para>Which fields are times comes from the built-in schemas (<c>format: date-time</c>); which of them are
/// MicroTimes from <see cref="MicroTimeFields"/>. Custom resources are not touched: upstream keeps their JSON as
/// sent, and a <c>date-time</c> in a CRD schema is a string.</para>
/// <para>Cost: this runs on every write. The walk's own work is small: it is planned once per kind
/// (<see cref="TimePlan"/>) and visits only the properties that lead to time fields, and a value already canonical
/// is recognised in place, on its raw UTF-8 bytes, without allocating. What costs is that reading a parsed
/// <see cref="JsonObject"/> materialises it (and a materialised object is dearer to clone and to serialise later):
/// on a 4 KB pod status update, about as much again as the update itself. So when the caller has the bytes the
/// object came from, the keys of the kind's time fields are looked up in them first, and an object whose times
/// are all canonical is not walked at all (about 1.5 µs on that pod, nothing allocated).</para>
/// <para>Accepted: whatever Go's <c>time.Parse</c> accepts with <c>time.RFC3339</c> (any fraction, any offset),
/// for MicroTimes too, which upstream decodes with the stricter <c>RFC3339Micro</c> (exactly six digits): being
/// lenient there is the point of ADR 3. Stateless and thread-safe.</para>
/// </remarks>
public static class Timestamps
{
    /// <summary>
    /// The <c>metav1.MicroTime</c> fields of the kinds the server serves, by owner definition and JSON name; every
    /// other time is a <c>metav1.Time</c> (<c>managedFields[].time</c> included). Upstream v1.32,
    /// <c>staging/src/k8s.io/api</c>: <c>core/v1</c> Event.eventTime and EventSeries.lastObservedTime,
    /// <c>events/v1</c> the same two, <c>coordination/v1</c> LeaseSpec.acquireTime and renewTime (the protobuf
    /// table of ADR 5, Protobuf/Schema/messages.txt, lists the same six).
    /// </summary>
    internal static readonly FrozenSet<(string Definition, string Property)> MicroTimeFields = new[]
    {
        ("io.k8s.api.core.v1.Event", "eventTime"),
        ("io.k8s.api.core.v1.EventSeries", "lastObservedTime"),
        ("io.k8s.api.events.v1.Event", "eventTime"),
        ("io.k8s.api.events.v1.EventSeries", "lastObservedTime"),
        ("io.k8s.api.coordination.v1.LeaseSpec", "acquireTime"),
        ("io.k8s.api.coordination.v1.LeaseSpec", "renewTime"),
    }.ToFrozenSet();

    private static readonly ConcurrentDictionary<(string Group, string Version, string Kind), TimePlan?> Plans = new();

    private enum Outcome
    {
        Canonical,
        Replaced,
        Unparseable,
    }

    /// <summary>
    /// Rewrites every time field of <paramref name="obj"/>, an object of the built-in kind
    /// <paramref name="group"/>/<paramref name="version"/> <paramref name="kind"/>, in place. Returns null, or Go's
    /// decoding error (<c>parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"</c>) for the
    /// first time, in document order, that does not parse; then nothing is rewritten. A kind without a built-in
    /// schema is left as it is. A time field that is not a string is left for the field checks (wrong JSON type).
    /// </summary>
    /// <param name="source">
    /// The JSON <paramref name="obj"/> was decoded from, when the caller has it (a request body), with no time
    /// changed since. When every key of a time field in it holds null or a canonical time, nothing can need
    /// rewriting and the object is not walked: reading a parsed <see cref="JsonObject"/>'s nodes materialises them,
    /// which costs more than this scan of the bytes.
    /// </param>
    public static string? Canonicalize(string group, string version, string kind, JsonObject obj, ReadOnlySpan<byte> source = default)
    {
        var plan = PlanFor(group, version, kind);
        if (plan is null || (!source.IsEmpty && plan.Keys is { } keys && AllKeysCanonical(source, keys)))
        {
            return null;
        }

        var edits = default(Edits);
        Walk(plan, obj, ref edits);
        if (edits.Failed)
        {
            return FirstError(plan, obj);
        }

        edits.Apply();
        return null;
    }

    /// <summary>Upstream's 400 for a create or update body with a time that does not parse (its decode-error transform).</summary>
    public static StatusException BodyError(string kind, string version, string error) =>
        StatusException.BadRequest($"{kind} in version \"{version}\" cannot be handled as a {kind}: {error}");

    /// <summary>
    /// Upstream's 422 for a patch whose result has a time that does not parse: an invalid value of the field
    /// <c>patch</c>, the value being the patched object (JSON and merge patches) or the patch as Go prints a map
    /// (strategic merge patches).
    /// </summary>
    public static StatusException PatchError(string value, string error) =>
        StatusException.Invalid("", "", "", [new StatusCause("FieldValueInvalid", $"Invalid value: {Selectors.GoText.Quote(value)}: {error}", "patch")]);

    /// <summary>Whether <see cref="Canonicalize"/> given <paramref name="source"/> lets the object through without a walk.</summary>
    internal static bool SkipsWalk(string group, string version, string kind, ReadOnlySpan<byte> source) =>
        PlanFor(group, version, kind) is { Keys: { } keys } && AllKeysCanonical(source, keys);

    private static TimePlan? PlanFor(string group, string version, string kind) =>
        Plans.GetOrAdd((group, version, kind), static k =>
            BuiltinSchemas.Instance.ForKind(k.Group, k.Version, k.Kind) is { } schema ? TimePlan.For(schema, IsMicroTime) : null);

    private static bool IsMicroTime(string? definition, string property) =>
        definition is not null && MicroTimeFields.Contains((definition, property));

    private static void Walk(TimePlan plan, JsonNode node, ref Edits edits)
    {
        switch (plan.Shape)
        {
            case TimePlanShape.Object when node is JsonObject obj:
                foreach (var (name, child) in plan.Fields)
                {
                    if (obj.TryGetPropertyValue(name, out var value) && value is not null)
                    {
                        Visit(child, obj, name, 0, value, ref edits);
                    }
                }

                break;
            case TimePlanShape.Array when node is JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is { } item)
                    {
                        Visit(plan.Element!, array, null, i, item, ref edits);
                    }
                }

                break;
            case TimePlanShape.Map when node is JsonObject map:
                foreach (var (key, value) in map)
                {
                    if (value is not null)
                    {
                        Visit(plan.Element!, map, key, 0, value, ref edits);
                    }
                }

                break;
        }
    }

    /// <summary>One value of an object (<paramref name="key"/>) or an array (<paramref name="index"/>): walked into, or checked when a time.</summary>
    private static void Visit(TimePlan plan, JsonNode parent, string? key, int index, JsonNode value, ref Edits edits)
    {
        if (!plan.IsLeaf)
        {
            Walk(plan, value, ref edits);
            return;
        }

        switch (Fix(value, plan.Shape == TimePlanShape.MicroTime, out var replacement))
        {
            case Outcome.Replaced:
                (edits.Pending ??= []).Add((parent, key, index, replacement));
                break;
            case Outcome.Unparseable:
                edits.Failed = true;
                break;
        }
    }

    /// <summary>
    /// What a walk found: the replacements, applied only once the whole object was read (a request refused leaves
    /// its object as it was, and a map is never changed while it is enumerated), and whether a time did not parse.
    /// </summary>
    private struct Edits
    {
        public bool Failed;
        public List<(JsonNode Parent, string? Key, int Index, JsonNode? Value)>? Pending;

        public readonly void Apply()
        {
            foreach (var (parent, key, index, value) in Pending ?? [])
            {
                if (key is not null)
                {
                    parent.AsObject()[key] = value;
                }
                else
                {
                    parent.AsArray()[index] = value;
                }
            }
        }
    }

    /// <summary>
    /// Whether every occurrence of a time field's key in <paramref name="json"/> holds null or a canonical time of
    /// that key's type. Conservative: a name that is also a label, a map key or a string elsewhere may send the
    /// object to the walk for nothing, never the other way round. A <c>\u</c> escape anywhere (which could spell a
    /// key) sends it to the walk too.
    /// </summary>
    private static bool AllKeysCanonical(ReadOnlySpan<byte> json, (byte[] Key, TimePlanShape? Shape)[] keys)
    {
        if (json.IndexOf("\\u"u8) >= 0)
        {
            return false;
        }

        foreach (var (key, shape) in keys)
        {
            // The bare name is searched for, not the quoted key: a needle that starts and ends with a quote is
            // slow to find in JSON, where quotes are everywhere.
            var rest = json;
            for (var at = rest.IndexOf(key); at >= 0; at = rest.IndexOf(key))
            {
                var quoted = at > 0 && rest[at - 1] == '"' && at + key.Length < rest.Length && rest[at + key.Length] == '"';
                rest = rest[(at + key.Length)..];
                var i = quoted ? SkipSpace(rest, 1) : 0;
                if (!quoted || i >= rest.Length || rest[i] != ':')
                {
                    // Part of another name or string, or a string with the name: not the key.
                    continue;
                }

                i = SkipSpace(rest, i + 1);
                if (rest[i..].StartsWith("null"u8))
                {
                    continue;
                }

                if (shape is null || i >= rest.Length || rest[i] != '"')
                {
                    return false;
                }

                var value = rest[(i + 1)..];
                var end = value.IndexOfAny((byte)'"', (byte)'\\');
                if (end < 0 || value[end] != '"' || !IsCanonical(value[..end], shape == TimePlanShape.MicroTime))
                {
                    return false;
                }

                rest = value[(end + 1)..];
            }
        }

        return true;

        static int SkipSpace(ReadOnlySpan<byte> s, int i)
        {
            while (i < s.Length && s[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                i++;
            }

            return i;
        }
    }

    /// <summary>The canonical form of one time value: unchanged, a replacement (a string, or null for the zero time), or unparseable.</summary>
    private static Outcome Fix(JsonNode node, bool micro, out JsonNode? replacement)
    {
        replacement = null;
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            return Outcome.Canonical;
        }

        // Values parsed from a request are JsonElements: their raw bytes are checked where they lie.
        if (value.TryGetValue<JsonElement>(out var element) ? IsCanonical(JsonMarshal.GetRawUtf8Value(element)[1..^1], micro)
            : value.TryGetValue<string>(out var text) && IsCanonical(text.AsSpan(), micro))
        {
            return Outcome.Canonical;
        }

        if (Parse(value.GetValue<string>(), micro, out _) is not { } instant)
        {
            return Outcome.Unparseable;
        }

        replacement = instant.IsZero ? null : JsonValue.Create(GoTime.Format(instant, micro));
        return Outcome.Replaced;
    }

    /// <summary>
    /// A MicroTime is read with upstream's own layout first, then with RFC 3339's; the error reported is the one
    /// upstream's decoder gives, with its layout.
    /// </summary>
    private static GoInstant? Parse(string text, bool micro, out string? error)
    {
        if (!micro)
        {
            return GoTime.Parse(text, micro: false, out error);
        }

        return GoTime.Parse(text, micro: true, out error) ?? GoTime.Parse(text, micro: false, out _);
    }

    /// <summary>
    /// Whether a value is already what upstream would write: <c>YYYY-MM-DDThh:mm:ssZ</c> (with <c>.ffffff</c> for a
    /// MicroTime), a real date and time, and not the zero time (written as null).
    /// </summary>
    private static bool IsCanonical<T>(ReadOnlySpan<T> s, bool micro)
        where T : unmanaged, IBinaryInteger<T>
    {
        if (s.Length != (micro ? 27 : 20) || At(s, 4) != '-' || At(s, 7) != '-' || At(s, 10) != 'T' || At(s, 13) != ':' || At(s, 16) != ':'
            || At(s, s.Length - 1) != 'Z' || (micro && At(s, 19) != '.'))
        {
            return false;
        }

        if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day) || !Digits(s, 11, 2, out var hour)
            || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second) || (micro && !Digits(s, 20, 6, out _)))
        {
            return false;
        }

        if (month is < 1 or > 12 || day < 1 || day > GoTime.DaysIn(month, year) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        if (year == 1 && month == 1 && day == 1 && hour == 0 && minute == 0 && second == 0)
        {
            // Go's zero time, written as null; a MicroTime a fraction past it is not zero.
            return micro && Digits(s, 20, 6, out var fraction) && fraction != 0;
        }

        return true;
    }

    private static int At<T>(ReadOnlySpan<T> s, int i)
        where T : unmanaged, IBinaryInteger<T> => int.CreateTruncating(s[i]);

    private static bool Digits<T>(ReadOnlySpan<T> s, int start, int count, out int value)
        where T : unmanaged, IBinaryInteger<T>
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var d = At(s, i) - '0';
            if (d is < 0 or > 9)
            {
                return false;
            }

            value = (value * 10) + d;
        }

        return true;
    }

    /// <summary>Go's error for the first unparseable time of <paramref name="node"/> in document order (the order Go decodes in).</summary>
    private static string? FirstError(TimePlan plan, JsonNode node)
    {
        switch (plan.Shape)
        {
            case TimePlanShape.Time or TimePlanShape.MicroTime:
                return node is JsonValue value && value.GetValueKind() == JsonValueKind.String && Parse(value.GetValue<string>(), plan.Shape == TimePlanShape.MicroTime, out var error) is null
                    ? error
                    : null;
            case TimePlanShape.Object when node is JsonObject obj:
                foreach (var (name, property) in obj)
                {
                    var child = Array.Find(plan.Fields, f => f.Name == name).Plan;
                    if (property is not null && child is not null && FirstError(child, property) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case TimePlanShape.Array or TimePlanShape.Map:
                var items = node is JsonArray array ? array : node is JsonObject map ? map.Select(e => e.Value) : [];
                return items.Select(item => item is null ? null : FirstError(plan.Element!, item)).FirstOrDefault(e => e is not null);
            default:
                return null;
        }
    }
}
