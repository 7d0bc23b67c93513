using System.Globalization;

namespace Kubesharp.Client.Balancer;

/// <summary>API server addresses as the balancer keeps them: <c>host:port</c> (an IPv6 host in brackets).</summary>
public static class ServerAddress
{
    public const int DefaultPort = 6443;

    /// <summary>
    /// Every address in <paramref name="values"/>, each a comma-separated list of <c>https://host:port</c>,
    /// <c>host:port</c> or <c>host</c> (port 6443), in order, without duplicates.
    /// </summary>
    /// <exception cref="FormatException">A value is not an address; the message names it.</exception>
    public static IReadOnlyList<string> ParseList(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(Parse)
            .Distinct(StringComparer.Ordinal)
            .ToList();

    /// <summary>One address, normalised to <c>host:port</c>.</summary>
    /// <exception cref="FormatException">Not an https URL nor a host with an optional port.</exception>
    public static string Parse(string value)
    {
        var text = value.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "https://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || uri.Host.Length == 0
            || uri.AbsolutePath is not ("/" or "") || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw new FormatException($"\"{value}\" is not an API server address: expected https://HOST:PORT, HOST:PORT or HOST");
        }

        return Join(uri.Host, uri.IsDefaultPort && !HasExplicitPort(text) ? DefaultPort : uri.Port);
    }

    /// <summary><c>host:port</c>, with an IPv6 host in brackets.</summary>
    public static string Join(string host, int port)
    {
        var bare = host.Trim('[', ']');
        return (bare.Contains(':', StringComparison.Ordinal) ? "[" + bare + "]" : bare) + ":" + port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The host (without brackets) and port of a <c>host:port</c> address.</summary>
    public static (string Host, int Port) Split(string address)
    {
        var colon = address.LastIndexOf(':');
        return (address[..colon].Trim('[', ']'), int.Parse(address[(colon + 1)..], CultureInfo.InvariantCulture));
    }

    // "https://h:443" names port 443 explicitly; "https://h" means the API server's default, 6443.
    private static bool HasExplicitPort(string url)
    {
        var authority = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..].Split('/')[0];
        var close = authority.LastIndexOf(']');
        return authority.LastIndexOf(':') > close;
    }
}
