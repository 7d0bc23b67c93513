namespace Kubesharp.Api.Selectors;

/// <summary>The operators of a field selector term; <c>==</c> parses as <see cref="Equals"/>, as upstream's does.</summary>
public enum FieldSelectorOperator
{
    /// <summary><c>field=value</c> or <c>field==value</c>.</summary>
    Equals,

    /// <summary><c>field!=value</c>.</summary>
    NotEquals,
}

/// <summary>
/// One term of a <see cref="FieldSelector"/>, with its value unescaped. A field that the object does
/// not have reads as the empty string, as upstream's <c>fields.Set</c> reads it, so <c>spec.nodeName=</c>
/// matches a pod with no node. Immutable and thread-safe.
/// </summary>
/// <param name="Field">The field label, such as <c>metadata.name</c>; not checked here (whether a kind supports it is the API server's call).</param>
public sealed record FieldRequirement(string Field, FieldSelectorOperator Operator, string Value)
{
    /// <summary>Whether an object whose field has <paramref name="actual"/> (null when it has none) satisfies the term.</summary>
    public bool Matches(string? actual) =>
        string.Equals(actual ?? "", Value, StringComparison.Ordinal) == (Operator == FieldSelectorOperator.Equals);

    /// <summary>Upstream's text of the term: <c>field=value</c> or <c>field!=value</c>, the value escaped.</summary>
    public override string ToString() =>
        Field + (Operator == FieldSelectorOperator.Equals ? "=" : "!=") + FieldSelector.EscapeValue(Value);
}
