namespace Kubesharp.Api.Selectors;

/// <summary>
/// Upstream's label-key rules for components outside the API project that validate their own configuration
/// (the scheduler's plugin args): <see cref="Validate"/> is <c>IsQualifiedName</c>, <see cref="Quote"/> is Go's
/// <c>%q</c>, as <c>field.Error</c> prints a string value. Stateless and thread-safe.
/// </summary>
public static class LabelKeys
{
    /// <summary>Every rule <paramref name="key"/> breaks, in upstream's order and words; empty when it is a valid label key.</summary>
    public static IReadOnlyList<string> Validate(string key) => LabelValidation.IsQualifiedName(key);

    public static string Quote(string value) => GoText.Quote(value);
}
