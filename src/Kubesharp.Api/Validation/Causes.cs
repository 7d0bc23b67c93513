using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Api.Validation;

/// <summary>
/// The causes one validation collects, worded as upstream's <c>field.Error</c> bodies
/// (<c>apimachinery/pkg/util/validation/field/errors.go</c>): a reason, a message with the bad value as Go
/// prints it, and the field path. Not thread-safe: one per validation.
/// </summary>
internal sealed class Causes
{
    private readonly List<StatusCause> _list = [];

    public int Count => _list.Count;

    public IReadOnlyList<StatusCause> List => _list;

    public void Required(string path, string detail = "") =>
        Add("FieldValueRequired", "Required value", detail, path);

    public void Forbidden(string path, string detail) =>
        Add("FieldValueForbidden", "Forbidden", detail, path);

    public void TooLong(string path, int max) =>
        Add("FieldValueTooLong", "Too long", $"must have at most {max} bytes", path);

    public void Invalid(string path, object? value, string detail) =>
        Add("FieldValueInvalid", "Invalid value: " + Go(value), detail, path);

    public void Duplicate(string path, object? value) =>
        Add("FieldValueDuplicate", "Duplicate value: " + Go(value), "", path);

    public void NotFound(string path, object? value) =>
        Add("FieldValueNotFound", "Not found: " + Go(value), "", path);

    public void NotSupported(string path, object? value, params string[] supported) =>
        Add("FieldValueNotSupported", "Unsupported value: " + Go(value),
            supported.Length == 0 ? "" : "supported values: " + string.Join(", ", supported.Select(GoText.Quote)), path);

    /// <summary>One <see cref="Invalid"/> per message, as upstream turns a list of format errors into causes.</summary>
    public void InvalidEach(string path, object? value, IEnumerable<string> messages)
    {
        foreach (var m in messages)
        {
            Invalid(path, value, m);
        }
    }

    public void AddRange(Causes other) => _list.AddRange(other._list);

    private void Add(string reason, string head, string detail, string path) =>
        _list.Add(new StatusCause(reason, detail.Length == 0 ? head : head + ": " + detail, path));

    /// <summary>
    /// The bad value as upstream's <c>ErrorBody</c> prints it: strings quoted (<c>%q</c>), numbers and booleans
    /// plain, nil as <c>null</c>, and <see cref="GoLiteral"/> as already written (structs, maps and slices
    /// printed with <c>%#v</c>).
    /// </summary>
    internal static string Go(object? value) => value switch
    {
        null => "null",
        string s => GoText.Quote(s),
        bool b => b ? "true" : "false",
        long or int => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        GoLiteral l => l.Text,
        JsonNode n => GoNode(n),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null",
    };

    private static string GoNode(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.String => GoText.Quote(node.GetValue<string>()),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => node.ToJsonString(),
        _ => node.ToJsonString(),
    };
}

/// <summary>A value already printed the way Go's <c>%#v</c> would print it.</summary>
internal sealed record GoLiteral(string Text);
