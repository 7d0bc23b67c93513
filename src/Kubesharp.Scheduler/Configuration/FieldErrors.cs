using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Kubesharp.Scheduler.Configuration;

/// <summary>Validation messages worded as upstream's <c>field.Error</c> prints them: <c>PATH: Invalid value: VALUE: DETAIL</c>.</summary>
internal static class FieldErrors
{
    public static string Invalid(string path, object? value, string detail) => $"{path}: Invalid value: {Value(value)}: {detail}";

    public static string Required(string path, string detail = "") => detail.Length == 0 ? $"{path}: Required value" : $"{path}: Required value: {detail}";

    public static string Duplicate(string path, object? value) => $"{path}: Duplicate value: {Value(value)}";

    public static string Forbidden(string path, string detail) => $"{path}: Forbidden: {detail}";

    public static string NotSupported(string path, object? value, IEnumerable<string> supported) =>
        $"{path}: Unsupported value: {Value(value)}: supported values: {string.Join(", ", supported.Select(Quote))}";

    public static string Unknown(string path) => $"{path}: unknown field";

    public static string Quote(string text) => JsonSerializer.Serialize(text, QuoteJson);

    /// <summary>Joins an error a plugin's args check reports (<c>field: detail</c> or a bare detail) under the args' path.</summary>
    public static string Under(string argsPath, string error)
    {
        var colon = error.IndexOf(": ", StringComparison.Ordinal);
        var head = colon < 0 ? "" : error[..colon];
        var isPath = head.Length > 0 && char.IsAsciiLetterLower(head[0]) && !head.Contains(' ', StringComparison.Ordinal);
        return isPath ? $"{argsPath}.{error}" : $"{argsPath}: {error}";
    }

    private static readonly JsonSerializerOptions QuoteJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A duration as Go prints it: <c>500ms</c>, <c>15s</c>, <c>1m30s</c>, <c>2h0m0s</c>.</summary>
    public static string GoDuration(TimeSpan t)
    {
        if (t == TimeSpan.Zero)
        {
            return "0s";
        }

        var sign = t < TimeSpan.Zero ? "-" : "";
        t = t.Duration();
        if (t < TimeSpan.FromSeconds(1))
        {
            return sign + t.TotalMilliseconds.ToString("0.######", CultureInfo.InvariantCulture) + "ms";
        }

        var seconds = (t.Seconds + (t.Ticks % TimeSpan.TicksPerSecond / (double)TimeSpan.TicksPerSecond)).ToString("0.#########", CultureInfo.InvariantCulture) + "s";
        var hours = (long)t.TotalHours;
        return sign + (hours > 0 ? $"{hours}h{t.Minutes}m{seconds}" : t.Minutes > 0 ? $"{t.Minutes}m{seconds}" : seconds);
    }

    private static string Value(object? value) => value switch
    {
        null => "null",
        string s => Quote(s),
        TimeSpan t => Quote(GoDuration(t)),
        JsonElement { ValueKind: JsonValueKind.String } e => Quote(e.GetString()!),
        JsonElement e => e.GetRawText(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
