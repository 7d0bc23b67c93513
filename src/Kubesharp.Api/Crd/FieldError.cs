using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Patch;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Api.Crd;

/// <summary>The kinds of upstream's <c>field.Error</c>, each with its cause reason and its text.</summary>
public enum FieldErrorType
{
    Required,
    Invalid,
    TypeInvalid,
    NotSupported,
    Forbidden,
    TooLong,
    TooMany,
    Duplicate,
}

/// <summary>
/// One field error as upstream's <c>apimachinery/pkg/util/validation/field</c> renders it: the field path,
/// the bad value as Go prints it, and a detail. <see cref="Body"/> is the cause message, <see cref="ToString"/>
/// the line an aggregate shows. Immutable.
/// </summary>
/// <param name="Value">The bad value already rendered as Go does (<c>"text"</c>, <c>3</c>, <c>true</c>), or null
/// for the kinds whose text never shows it (required, forbidden, too long) and for a "too many" without a count.</param>
public sealed record FieldError(FieldErrorType Type, string Field, string? Value, string Detail)
{
    public string Reason => Type switch
    {
        FieldErrorType.Required => "FieldValueRequired",
        FieldErrorType.Invalid => "FieldValueInvalid",
        FieldErrorType.TypeInvalid => "FieldValueTypeInvalid",
        FieldErrorType.NotSupported => "FieldValueNotSupported",
        FieldErrorType.Forbidden => "FieldValueForbidden",
        FieldErrorType.TooLong => "FieldValueTooLong",
        FieldErrorType.TooMany => "FieldValueTooMany",
        _ => "FieldValueDuplicate",
    };

    /// <summary>Upstream's <c>ErrorBody</c>: the message without the field.</summary>
    public string Body
    {
        get
        {
            var head = Type switch
            {
                FieldErrorType.Required => "Required value",
                FieldErrorType.Forbidden => "Forbidden",
                FieldErrorType.TooLong => "Too long",
                FieldErrorType.Invalid or FieldErrorType.TypeInvalid => "Invalid value",
                FieldErrorType.NotSupported => "Unsupported value",
                FieldErrorType.TooMany => "Too many",
                _ => "Duplicate value",
            };
            var text = Value is null ? head : $"{head}: {Value}";
            return Detail.Length == 0 ? text : $"{text}: {Detail}";
        }
    }

    public override string ToString() => $"{Field}: {Body}";

    public StatusCause ToCause() => new(Reason, Body, Field);

    public static FieldError Required(string field, string detail = "") => new(FieldErrorType.Required, field, null, detail);

    public static FieldError Forbidden(string field, string detail) => new(FieldErrorType.Forbidden, field, null, detail);

    public static FieldError Invalid(string field, string goValue, string detail) => new(FieldErrorType.Invalid, field, goValue, detail);

    public static FieldError Invalid(string field, JsonNode? value, string detail) => Invalid(field, GoValue.Of(value), detail);

    public static FieldError TypeInvalid(string field, string goValue, string detail) => new(FieldErrorType.TypeInvalid, field, goValue, detail);

    /// <summary><c>field.NotSupported</c>: the value and the quoted list of what is supported.</summary>
    public static FieldError NotSupported(string field, string goValue, IEnumerable<string> supported)
    {
        var list = string.Join(", ", supported.Select(GoText.Quote));
        return new(FieldErrorType.NotSupported, field, goValue, list.Length == 0 ? "" : "supported values: " + list);
    }

    public static FieldError TooLong(string field, long max) =>
        new(FieldErrorType.TooLong, field, null, max >= 0 ? $"may not be more than {max} bytes" : "value is too long");

    public static FieldError TooMany(string field, long actual, long max) =>
        new(FieldErrorType.TooMany, field, actual >= 0 ? GoValue.Number(actual) : null, max >= 0 ? $"must have at most {max} items" : "has too many items");

    public static FieldError Duplicate(string field, string goValue) => new(FieldErrorType.Duplicate, field, goValue, "");

    /// <summary>The 422 Invalid error of these field errors, with upstream's message and one cause each.</summary>
    public static StatusException ToInvalid(string group, string kind, string name, IEnumerable<FieldError> errors) =>
        StatusException.Invalid(group, kind, name, [.. errors.Select(e => e.ToCause())]);
}

/// <summary>
/// Go's rendering of a bad value in a field error: strings quoted (<c>%q</c>), numbers and booleans as
/// <c>%v</c>, JSON null as the quoted word <c>"null"</c>, objects and lists as Go's <c>%#v</c> of decoded JSON.
/// </summary>
public static class GoValue
{
    public static string Quote(string s) => GoText.Quote(s);

    public static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);

    public static string Number(double d) => GoFormat.Float(d);

    public static string OfBool(bool b) => b ? "true" : "false";

    /// <summary>The value as upstream's field error prints a decoded JSON value.</summary>
    public static string Of(JsonNode? node) => PatchJson.Kind(node) switch
    {
        GoKind.Null => "\"null\"",
        GoKind.String => Quote(node!.GetValue<string>()),
        GoKind.Object or GoKind.Array => GoSyntax(node),
        _ => Scalar(node!),
    };

    /// <summary>Go's <c>%#v</c> of a decoded JSON value: <c>map[string]interface {}{"a":1}</c>, <c>[]interface {}{"x"}</c>.</summary>
    public static string GoSyntax(JsonNode? node)
    {
        var text = new StringBuilder();
        AppendGoSyntax(text, node);
        return text.ToString();
    }

    private static string Scalar(JsonNode node) => PatchJson.Kind(node) switch
    {
        GoKind.Bool => OfBool(node.GetValue<bool>()),
        GoKind.Int => node.ToJsonString(),
        _ => Number(double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture)),
    };

    private static void AppendGoSyntax(StringBuilder text, JsonNode? node)
    {
        switch (PatchJson.Kind(node))
        {
            case GoKind.Null:
                text.Append("interface {}(nil)");
                break;
            case GoKind.String:
                text.Append(Quote(node!.GetValue<string>()));
                break;
            case GoKind.Object:
                text.Append("map[string]interface {}{");
                var first = true;
                foreach (var (key, value) in node!.AsObject().OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    text.Append(first ? "" : ", ").Append(Quote(key)).Append(':');
                    AppendGoSyntax(text, value);
                    first = false;
                }

                text.Append('}');
                break;
            case GoKind.Array:
                text.Append("[]interface {}{");
                var array = node!.AsArray();
                for (var i = 0; i < array.Count; i++)
                {
                    text.Append(i == 0 ? "" : ", ");
                    AppendGoSyntax(text, array[i]);
                }

                text.Append('}');
                break;
            default:
                text.Append(Scalar(node!));
                break;
        }
    }
}
