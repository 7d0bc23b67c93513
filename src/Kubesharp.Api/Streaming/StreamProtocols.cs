namespace Kubesharp.Api.Streaming;

/// <summary>
/// The WebSocket subprotocols of exec and attach (upstream's <c>k8s.io/apimachinery/pkg/util/remotecommand</c> and
/// <c>wsstream</c>): every binary message starts with a channel byte. v4 carries the exit status as a JSON
/// <c>v1 Status</c> on the error channel; v5 adds the close channel (255), whose one byte names a channel the client
/// has finished writing (stdin).
/// </summary>
public static class StreamProtocols
{
    public const string V5 = "v5.channel.k8s.io";
    public const string V4 = "v4.channel.k8s.io";
    public const string V4Base64 = "v4.base64.channel.k8s.io";
    public const string V1 = "channel.k8s.io";
    public const string V1Base64 = "base64.channel.k8s.io";

    public const byte StdinChannel = 0;
    public const byte StdoutChannel = 1;
    public const byte StderrChannel = 2;
    public const byte ErrorChannel = 3;
    public const byte ResizeChannel = 4;
    public const byte CloseChannel = 255;

    /// <summary>The binary protocols served, newest first.</summary>
    public static readonly IReadOnlyList<string> Binary = [V5, V4, V1];

    /// <summary>
    /// The first protocol the client offered (in its order, as upstream's <c>wsstream</c> handshake picks) that is in
    /// <paramref name="supported"/>; null when none is. Offers may come as several headers or comma-separated.
    /// </summary>
    public static string? Negotiate(IEnumerable<string> offered, IReadOnlyCollection<string> supported)
    {
        foreach (var header in offered)
        {
            foreach (var protocol in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (supported.Contains(protocol))
                {
                    return protocol;
                }
            }
        }

        return null;
    }
}
