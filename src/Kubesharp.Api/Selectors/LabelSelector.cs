using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using Kubesharp.Api.Errors;

namespace Kubesharp.Api.Selectors;

/// <summary>
/// A label selector as upstream Kubernetes v1.32 has it (<c>labels.Selector</c>): an AND of
/// <see cref="LabelRequirement"/>s, sorted by key.
/// <para>
/// Contract: built only by <see cref="Parse"/>, <see cref="TryParse"/>, <see cref="FromSet"/> and
/// <see cref="FromJson"/>, which validate keys and values as upstream does; once built, a selector is
/// immutable and safe to share and to match from any number of threads. <see cref="Empty"/> matches
/// everything; <see cref="Nothing"/> (what a missing <c>metav1.LabelSelector</c> means) matches nothing.
/// Matching never throws, and allocates nothing but to read a Gt/Lt label value written with JSON escapes.
/// </para>
/// </summary>
public sealed partial class LabelSelector : IEquatable<LabelSelector>
{
    private readonly bool _nothing;

    private LabelSelector(IEnumerable<LabelRequirement> requirements, bool nothing)
    {
        // A stable sort: upstream's sort keeps the written order of requirements on one key (for the
        // few requirements a selector has), and that order shows in ToString.
        Requirements = [.. requirements.OrderBy(r => r.Key, StringComparer.Ordinal)];
        _nothing = nothing;
    }

    /// <summary>The selector that matches every label set; what an absent or empty <c>labelSelector</c> parameter means.</summary>
    public static LabelSelector Empty { get; } = new([], nothing: false);

    /// <summary>The selector that matches no label set; what a null <c>metav1.LabelSelector</c> means.</summary>
    public static LabelSelector Nothing { get; } = new([], nothing: true);

    /// <summary>The requirements, sorted by key; all must hold for a match.</summary>
    public ImmutableArray<LabelRequirement> Requirements { get; }

    /// <summary>True when the selector does not restrict anything (upstream's <c>Empty()</c>).</summary>
    public bool IsEmpty => !_nothing && Requirements.IsEmpty;

    /// <summary>True only for <see cref="Nothing"/>.</summary>
    public bool MatchesNothing => _nothing;

    /// <summary>
    /// Parses the query-string form, such as <c>app=web,tier!=db,env in (a,b),!canary,release</c>.
    /// Null, empty or blank text gives <see cref="Empty"/>.
    /// </summary>
    /// <exception cref="StatusException">BadRequest (400) with upstream's message when the text is not a valid selector.</exception>
    public static LabelSelector Parse(string? selector) =>
        TryParse(selector, out var result, out var error) ? result : throw StatusException.BadRequest(error);

    /// <summary>As <see cref="Parse"/>, with the failure as a value: upstream's message in <paramref name="error"/>.</summary>
    public static bool TryParse(string? selector, [NotNullWhen(true)] out LabelSelector? result, [NotNullWhen(false)] out string? error)
    {
        if (string.IsNullOrEmpty(selector))
        {
            result = Empty;
            error = null;
            return true;
        }

        if (!LabelSelectorParser.TryParse(selector, out var requirements, out error))
        {
            result = null;
            return false;
        }

        result = requirements.Count == 0 ? Empty : new LabelSelector(requirements, nothing: false);
        return true;
    }

    /// <summary>
    /// The selector that requires exactly these labels (<c>key=value</c> each), as a Service's
    /// <c>spec.selector</c> map means. Null or empty gives <see cref="Empty"/>.
    /// </summary>
    /// <exception cref="StatusException">BadRequest (400) when a key or value is not a valid label key or value.</exception>
    public static LabelSelector FromSet(IReadOnlyDictionary<string, string>? labels)
    {
        if (labels is null || labels.Count == 0)
        {
            return Empty;
        }

        var requirements = new List<LabelRequirement>(labels.Count);
        foreach (var (key, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            requirements.Add(Create(key, LabelSelectorOperator.Equals, [value]));
        }

        return new LabelSelector(requirements, nothing: false);
    }

    /// <summary>Whether every requirement holds for these labels.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        if (_nothing)
        {
            return false;
        }

        foreach (var requirement in Requirements)
        {
            if (!requirement.Matches(labels))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether every requirement holds for the labels of a stored object, read in place from its
    /// <c>metadata.labels</c> without building a dictionary or allocating. An object without
    /// metadata or labels has no labels; an element that is not an object likewise.
    /// </summary>
    public bool Matches(JsonElement obj)
    {
        if (_nothing)
        {
            return false;
        }

        if (Requirements.IsEmpty)
        {
            return true;
        }

        JsonElement labels = default;
        if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty("metadata"u8, out var metadata)
            && metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("labels"u8, out var found))
        {
            labels = found;
        }

        return MatchesLabels(labels);
    }

    /// <summary>As <see cref="Matches(JsonElement)"/>, given the <c>labels</c> object itself (anything else is no labels).</summary>
    public bool MatchesLabels(JsonElement labels)
    {
        if (_nothing)
        {
            return false;
        }

        foreach (var requirement in Requirements)
        {
            if (!requirement.Matches(labels))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Upstream's <c>RequiresExactMatch</c>: when the first requirement on <paramref name="key"/> is
    /// <c>=</c>, <c>==</c> or a one-value <c>in</c>, the one value every match must have.
    /// </summary>
    public bool RequiresExactMatch(string key, [NotNullWhen(true)] out string? value)
    {
        foreach (var requirement in Requirements)
        {
            if (requirement.Key != key)
            {
                continue;
            }

            if (requirement.Operator is LabelSelectorOperator.Equals or LabelSelectorOperator.DoubleEquals or LabelSelectorOperator.In
                && requirement.Values.Length == 1)
            {
                value = requirement.Values[0];
                return true;
            }

            break;
        }

        value = null;
        return false;
    }

    /// <summary>The canonical query-string form, as upstream's <c>String()</c>: requirements by key, values sorted, no spaces but around <c>in</c>/<c>notin</c>. Parses back to an equal selector.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var requirement in Requirements)
        {
            if (sb.Length > 0)
            {
                sb.Append(',');
            }

            sb.Append(requirement.ToString());
        }

        return sb.ToString();
    }

    public bool Equals(LabelSelector? other) =>
        other is not null && _nothing == other._nothing && Requirements.AsSpan().SequenceEqual(other.Requirements.AsSpan());

    public override bool Equals(object? obj) => Equals(obj as LabelSelector);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(_nothing);
        foreach (var requirement in Requirements)
        {
            hash.Add(requirement);
        }

        return hash.ToHashCode();
    }

    private static LabelRequirement Create(string key, LabelSelectorOperator op, IReadOnlyList<string> values) =>
        LabelRequirement.TryCreate(key, op, values, out var requirement, out var error) ? requirement! : throw StatusException.BadRequest(error!);
}
