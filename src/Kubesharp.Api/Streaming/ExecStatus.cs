using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kubesharp.Api.Streaming;

/// <summary>
/// The <c>v1 Status</c> that ends an exec or attach on the error channel (v4 and later), byte for byte as upstream's
/// <c>remotecommand.ServeExec</c> marshals it (no kind or apiVersion, empty metadata): Success; or Failure with reason
/// <c>NonZeroExitCode</c> and one cause <c>{reason: ExitCode, message: "N"}</c>; or an InternalError.
/// </summary>
public static class ExecStatus
{
    public const string NonZeroExitCodeReason = "NonZeroExitCode";
    public const string ExitCodeCauseType = "ExitCode";

    public static byte[] Success() => """{"metadata":{},"status":"Success"}"""u8.ToArray();

    /// <summary>containerd's and upstream's wording: <c>command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3</c>.</summary>
    public static byte[] NonZeroExit(IEnumerable<string> command, int exitCode)
    {
        var code = exitCode.ToString(CultureInfo.InvariantCulture);
        var status = new JsonObject
        {
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = $"command terminated with non-zero exit code: error executing command [{string.Join(' ', command)}], exit code {code}",
            ["reason"] = NonZeroExitCodeReason,
            ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = ExitCodeCauseType, ["message"] = code }) },
        };
        return JsonSerializer.SerializeToUtf8Bytes(status);
    }

    /// <summary>Upstream's <c>NewInternalError</c>: 500, reason InternalError, the error as the cause.</summary>
    public static byte[] InternalError(string error)
    {
        var status = new JsonObject
        {
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = $"Internal error occurred: {error}",
            ["reason"] = "InternalError",
            ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = error }) },
            ["code"] = 500,
        };
        return JsonSerializer.SerializeToUtf8Bytes(status);
    }

    /// <summary>
    /// Reads the exit code a client would take from an error-channel Status: 0 for Success, N for NonZeroExitCode,
    /// null when the payload is not a Status or is another failure.
    /// </summary>
    public static int? ExitCode(ReadOnlySpan<byte> status)
    {
        try
        {
            if (JsonNode.Parse(status) is not JsonObject obj)
            {
                return null;
            }

            if ((string?)obj["status"] == "Success")
            {
                return 0;
            }

            if ((string?)obj["reason"] != NonZeroExitCodeReason || obj["details"]?["causes"] is not JsonArray causes)
            {
                return null;
            }

            foreach (var cause in causes)
            {
                if ((string?)cause?["reason"] == ExitCodeCauseType && int.TryParse((string?)cause["message"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var code))
                {
                    return code;
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
