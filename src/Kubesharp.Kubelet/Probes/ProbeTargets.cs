using System.Globalization;
using System.Net.Sockets;
using System.Text;
using k8s.Models;

namespace Kubesharp.Kubelet.Probes;

/// <summary>Upstream's helpers for probe targets: ports by number or name, host:port, static $(VAR) expansion, dial errors.</summary>
internal static class ProbeTargets
{
    /// <summary>
    /// Upstream's <c>probe.ResolveContainerPort</c>: a number, or the name of one of the container's ports (its
    /// containerPort), or a number written as a string; 1-65535.
    /// </summary>
    public static (int Port, string? Error) ResolvePort(IntOrString? value, V1Container container)
    {
        var text = value?.Value ?? "";
        int port;
        var named = container.Ports?.FirstOrDefault(p => text.Length > 0 && p.Name == text);
        if (named is not null)
        {
            port = named.ContainerPort;
        }
        else if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out port))
        {
            return (-1, $"strconv.Atoi: parsing \"{text}\": invalid syntax");
        }

        return port is > 0 and < 65536 ? (port, null) : (port, $"invalid port number: {port}");
    }

    /// <summary>Go's <c>net.JoinHostPort</c>: brackets around an IPv6 host.</summary>
    public static string JoinHostPort(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal)
            ? $"[{host}]:{port.ToString(CultureInfo.InvariantCulture)}"
            : $"{host}:{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Upstream's <c>ExpandContainerCommandOnlyStatic</c> for exec probes: <c>$(VAR)</c> becomes the value of an env
    /// var of the container given as a plain value (never valueFrom), an unknown one stays as written, <c>$$</c> is <c>$</c>.
    /// </summary>
    public static IReadOnlyList<string> ExpandStatic(IList<string>? command, IList<V1EnvVar>? env)
    {
        if (command is null)
        {
            return [];
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in env ?? [])
        {
            if (e.ValueFrom is null && e.Name is not null)
            {
                values[e.Name] = e.Value ?? "";
            }
        }

        return [.. command.Select(c => Expand(c, values))];
    }

    private static string Expand(string input, Dictionary<string, string> values)
    {
        var output = new StringBuilder(input.Length);
        for (var i = 0; i < input.Length; i++)
        {
            if (input[i] != '$' || i + 1 >= input.Length)
            {
                output.Append(input[i]);
                continue;
            }

            var next = input[i + 1];
            if (next == '$')
            {
                output.Append('$');
                i++;
            }
            else if (next == '(')
            {
                var close = input.IndexOf(')', i + 2);
                if (close < 0)
                {
                    // An unclosed reference is kept as written.
                    output.Append(input, i, input.Length - i);
                    break;
                }

                var name = input[(i + 2)..close];
                output.Append(values.TryGetValue(name, out var value) ? value : $"$({name})");
                i = close;
            }
            else
            {
                output.Append('$').Append(next);
                i++;
            }
        }

        return output.ToString();
    }

    /// <summary>Go's dial error text, which upstream's probe messages carry: <c>dial tcp 10.0.0.5:80: connect: connection refused</c>.</summary>
    public static string DialError(string hostPort, Exception e)
    {
        var socket = e as SocketException ?? e.InnerException as SocketException ?? e.InnerException?.InnerException as SocketException;
        var detail = socket?.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connect: connection refused",
            SocketError.TimedOut => "i/o timeout",
            SocketError.HostUnreachable => "connect: no route to host",
            SocketError.NetworkUnreachable => "connect: network is unreachable",
            SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"lookup {hostPort[..Math.Max(0, hostPort.LastIndexOf(':'))]}: no such host",
            SocketError.ConnectionReset => "connection reset by peer",
            _ => (socket ?? e).Message,
        };
        return $"dial tcp {hostPort}: {detail}";
    }
}
