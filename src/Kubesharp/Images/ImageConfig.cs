using System.Runtime.InteropServices;

namespace Kubesharp.Images;

/// <summary>What an image's config JSON says about how to run it (the OCI image config's <c>config</c> object).</summary>
internal sealed record ImageConfig
{
    public IReadOnlyList<string> Entrypoint { get; init; } = [];

    public IReadOnlyList<string> Cmd { get; init; } = [];

    /// <summary><c>KEY=VALUE</c> entries, in order.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    public string? WorkingDir { get; init; }

    /// <summary>The OCI/Go architecture name (<c>amd64</c>, <c>arm64</c>, ...); the host's by default.</summary>
    public string Architecture { get; init; } = HostArchitecture();

    public string Os { get; init; } = "linux";

    /// <summary>The host's architecture in Go's spelling, which containerd matches the image's platform against.</summary>
    public static string HostArchitecture() => RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm or System.Runtime.InteropServices.Architecture.Armv6 => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        System.Runtime.InteropServices.Architecture.RiscV64 => "riscv64",
        System.Runtime.InteropServices.Architecture.LoongArch64 => "loong64",
        var other => other.ToString().ToLowerInvariant(),
    };
}
