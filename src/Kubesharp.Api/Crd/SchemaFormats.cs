using System.Globalization;
using System.Net;
using System.Net.Mail;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Kubesharp.Api.Crd;

/// <summary>
/// The string formats a CRD schema can check, as upstream: the list of
/// <c>apiextensions-apiserver/pkg/apiserver/validation/formats.go</c> (any other format is ignored), each
/// checked as kube-openapi's format registry does. Names are compared without dashes (<c>date-time</c> is
/// <c>datetime</c>). Stateless and thread-safe.
/// </summary>
public static partial class SchemaFormats
{
    private static readonly Dictionary<string, Func<string, bool>> Checks = new(StringComparer.Ordinal)
    {
        ["bsonobjectid"] = s => BsonObjectId().IsMatch(s),
        ["uri"] = IsRequestUri,
        ["email"] = s => MailAddress.TryCreate(s, out var a) && a.Address.Length > 0,
        ["hostname"] = IsHostname,
        ["ipv4"] = s => s.Contains('.', StringComparison.Ordinal) && IsIp(s),
        ["ipv6"] = s => s.Contains(':', StringComparison.Ordinal) && IsIp(s),
        ["cidr"] = IsCidr,
        ["mac"] = s => Mac().IsMatch(s),
        ["uuid"] = s => Uuid().IsMatch(s),
        ["uuid3"] = s => Uuid3().IsMatch(s),
        ["uuid4"] = s => Uuid4().IsMatch(s),
        ["uuid5"] = s => Uuid5().IsMatch(s),
        ["isbn"] = s => IsIsbn10(s) || IsIsbn13(s),
        ["isbn10"] = IsIsbn10,
        ["isbn13"] = IsIsbn13,
        ["creditcard"] = IsCreditCard,
        ["ssn"] = s => Ssn().IsMatch(s),
        ["hexcolor"] = s => HexColor().IsMatch(s),
        ["rgbcolor"] = s => RgbColor().IsMatch(s),
        ["byte"] = s => s.Length % 4 == 0 && Base64().IsMatch(s),
        ["password"] = _ => true,
        ["date"] = IsDate,
        ["duration"] = s => GoDuration().IsMatch(s) || UnitDuration().IsMatch(s),
        ["datetime"] = IsDateTime,
    };

    /// <summary>True when <paramref name="format"/> is one upstream checks.</summary>
    public static bool IsKnown(string format) => Checks.ContainsKey(Normalize(format));

    /// <summary>True when <paramref name="value"/> is valid for <paramref name="format"/>, or the format is not checked.</summary>
    public static bool IsValid(string format, string value) => !Checks.TryGetValue(Normalize(format), out var check) || check(value);

    private static string Normalize(string format) => format.Replace("-", "", StringComparison.Ordinal);

    private static bool IsIp(string s)
    {
        if (!IPAddress.TryParse(s, out var address))
        {
            return false;
        }

        // .NET also reads "1" or "1.2" as IPv4; Go wants four dotted parts.
        return address.AddressFamily == AddressFamily.InterNetworkV6 || Ipv4().IsMatch(s);
    }

    private static bool IsCidr(string s)
    {
        var slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IsIp(s[..slash]) || !int.TryParse(s[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var bits))
        {
            return false;
        }

        return bits <= (s[..slash].Contains(':', StringComparison.Ordinal) ? 128 : 32);
    }

    // govalidator.IsRequestURI: net/url.ParseRequestURI, which takes an absolute URI or an absolute path.
    private static bool IsRequestUri(string s) =>
        s.StartsWith('/') ? !s.Contains(' ', StringComparison.Ordinal) : Uri.TryCreate(s, UriKind.Absolute, out var uri) && uri.Scheme.Length > 0;

    private static bool IsHostname(string s)
    {
        if (s.Length > 255 || !Hostname().IsMatch(s))
        {
            return false;
        }

        return s.Split('.').All(label => label.Length <= 63);
    }

    private static bool IsDate(string s) => DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    // strfmt.IsDateTime: a valid date, "t" (any case), then hh:mm:ss, an optional fraction and a zone.
    private static bool IsDateTime(string s)
    {
        if (s.Length < 4)
        {
            return false;
        }

        var parts = s.ToLowerInvariant().Split('t');
        if (parts.Length < 2 || !IsDate(parts[0]))
        {
            return false;
        }

        var m = DateTimeTime().Match(parts[1]);
        return m.Success && string.CompareOrdinal(m.Groups[1].Value, "23") <= 0 && string.CompareOrdinal(m.Groups[2].Value, "59") <= 0
            && string.CompareOrdinal(m.Groups[3].Value, "59") <= 0;
    }

    private static bool IsIsbn10(string s)
    {
        var digits = s.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        if (!Isbn10().IsMatch(digits))
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            sum += (i + 1) * (digits[i] - '0');
        }

        sum += digits[9] is 'x' or 'X' ? 100 : 10 * (digits[9] - '0');
        return sum % 11 == 0;
    }

    private static bool IsIsbn13(string s)
    {
        var digits = s.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        if (!Isbn13().IsMatch(digits))
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < 12; i++)
        {
            sum += (i % 2 == 0 ? 1 : 3) * (digits[i] - '0');
        }

        return (10 - (sum % 10)) % 10 == digits[12] - '0';
    }

    // govalidator.IsCreditCard: the known card number shapes (any non-digits removed), then the Luhn check.
    private static bool IsCreditCard(string s)
    {
        var digits = new string([.. s.Where(char.IsAsciiDigit)]);
        if (!CreditCard().IsMatch(digits))
        {
            return false;
        }

        var sum = 0;
        var doubled = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (doubled)
            {
                d *= 2;
                d = d > 9 ? d - 9 : d;
            }

            sum += d;
            doubled = !doubled;
        }

        return sum % 10 == 0;
    }

    [GeneratedRegex("^[0-9a-fA-F]{24}$")]
    private static partial Regex BsonObjectId();

    [GeneratedRegex(@"^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$")]
    private static partial Regex Ipv4();

    [GeneratedRegex(@"^([0-9A-Fa-f]{2}[:-]){5}([0-9A-Fa-f]{2})$|^([0-9A-Fa-f]{2}[:-]){7}([0-9A-Fa-f]{2})$|^([0-9A-Fa-f]{2}[:-]){19}([0-9A-Fa-f]{2})$|^([0-9A-Fa-f]{4}\.){2}([0-9A-Fa-f]{4})$|^([0-9A-Fa-f]{4}\.){3}([0-9A-Fa-f]{4})$|^([0-9A-Fa-f]{4}\.){9}([0-9A-Fa-f]{4})$")]
    private static partial Regex Mac();

    [GeneratedRegex("^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase)]
    private static partial Regex Uuid();

    [GeneratedRegex("^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase)]
    private static partial Regex Uuid3();

    [GeneratedRegex("^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase)]
    private static partial Regex Uuid4();

    [GeneratedRegex("^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase)]
    private static partial Regex Uuid5();

    [GeneratedRegex(@"^[a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)$|^([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9\-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63}$")]
    private static partial Regex Hostname();

    [GeneratedRegex("^[0-9]{9}[0-9Xx]$")]
    private static partial Regex Isbn10();

    [GeneratedRegex("^[0-9]{13}$")]
    private static partial Regex Isbn13();

    [GeneratedRegex(@"^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|(222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11}|6[27][0-9]{14})$")]
    private static partial Regex CreditCard();

    [GeneratedRegex(@"^\d{3}[- ]?\d{2}[- ]?\d{4}$")]
    private static partial Regex Ssn();

    [GeneratedRegex("^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
    private static partial Regex HexColor();

    [GeneratedRegex(@"^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$")]
    private static partial Regex RgbColor();

    [GeneratedRegex("^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$")]
    private static partial Regex Base64();

    [GeneratedRegex(@"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$|^0$")]
    private static partial Regex GoDuration();

    [GeneratedRegex(@"^\d+\s*(ns|nanoseconds?|us|µs|microseconds?|ms|milliseconds?|s|sec|seconds?|m|min|minutes?|h|hr|hours?|d|days?|w|wk|weeks?)$")]
    private static partial Regex UnitDuration();

    [GeneratedRegex("^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$")]
    private static partial Regex DateTimeTime();
}
