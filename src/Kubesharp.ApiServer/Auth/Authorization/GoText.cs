using System.Globalization;
using System.Text;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Go's <c>%q</c> of a string and of a <c>[]string</c>, which upstream's RBAC messages are made of
/// (<c>User "bob"</c>, <c>Verbs:["get" "list"]</c>), so that they read byte for byte as from a real API
/// server. Stateless and thread-safe.
/// </summary>
internal static class GoText
{
    /// <summary><c>strconv.Quote</c>: double quotes, <c>\"</c>, <c>\\</c>, the short escapes and <c>\xNN</c>/<c>\uNNNN</c> for control characters.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        AppendQuoted(sb, s);
        return sb.ToString();
    }

    /// <summary><c>%q</c> of a <c>[]string</c>: <c>["a" "b"]</c>; an empty or nil slice is <c>[]</c>.</summary>
    public static string QuoteSlice(IEnumerable<string>? values)
    {
        var sb = new StringBuilder("[");
        var first = true;
        foreach (var value in values ?? [])
        {
            if (!first)
            {
                sb.Append(' ');
            }

            first = false;
            AppendQuoted(sb, value);
        }

        return sb.Append(']').ToString();
    }

    private static void AppendQuoted(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\a':
                    sb.Append("\\a");
                    break;
                case '\b':
                    sb.Append("\\b");
                    break;
                case '\f':
                    sb.Append("\\f");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                case '\v':
                    sb.Append("\\v");
                    break;
                default:
                    if (c < 0x20 || c == 0x7f)
                    {
                        sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else if (char.IsControl(c))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
