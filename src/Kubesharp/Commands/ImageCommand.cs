using System.CommandLine;
using Kubesharp.Images;

namespace Kubesharp.Commands;

/// <summary>
/// <c>kubesharp image build --rootfs DIR --name REF --output FILE</c>: writes an OCI image archive of a root
/// filesystem directory, for <c>ctr images import</c> and <c>skopeo copy oci-archive:FILE ...</c> on machines that
/// reach no public registry (the pause and busybox images of <c>scripts/runtime.sh</c>).
/// </summary>
internal static class ImageCommand
{
    public static Command Create()
    {
        var rootfs = new Option<string>("--rootfs") { Description = "The root filesystem directory that becomes the image's one layer.", Required = true };
        var name = new Option<string>("--name") { Description = "The full image reference, e.g. 127.0.0.1:5000/library/busybox:1.35 (a registry host is required: the CRI finds no short names).", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "The archive file to write.", Required = true };
        var entrypoint = new Option<string[]>("--entrypoint") { Description = "One word of the entrypoint; repeat for each word." };
        var cmd = new Option<string[]>("--cmd") { Description = "One word of the default command; repeat for each word." };
        var env = new Option<string[]>("--env") { Description = "An environment variable KEY=VALUE; repeatable." };
        var workdir = new Option<string?>("--workdir") { Description = "The working directory of the image's processes." };
        var architecture = new Option<string>("--architecture") { Description = "The image's architecture (default: the host's).", DefaultValueFactory = _ => ImageConfig.HostArchitecture() };
        var build = new Command("build", "Write an OCI image archive (one uncompressed layer) of a root filesystem directory; the same input gives the same digest.")
        {
            rootfs,
            name,
            output,
            entrypoint,
            cmd,
            env,
            workdir,
            architecture,
        };
        build.SetAction(parse => Build(
            parse.GetValue(rootfs)!,
            parse.GetValue(name)!,
            parse.GetValue(output)!,
            new ImageConfig
            {
                Entrypoint = parse.GetValue(entrypoint) ?? [],
                Cmd = parse.GetValue(cmd) ?? [],
                Env = parse.GetValue(env) ?? [],
                WorkingDir = parse.GetValue(workdir),
                Architecture = parse.GetValue(architecture)!,
            }));
        return new Command("image", "Build container images without a registry or a container engine.") { build };
    }

    private static int Build(string rootfs, string name, string output, ImageConfig config)
    {
        try
        {
            var invalidEnv = config.Env.FirstOrDefault(e => e.IndexOf('=', StringComparison.Ordinal) <= 0);
            if (invalidEnv is not null)
            {
                Console.Error.WriteLine($"error: --env \"{invalidEnv}\" is not KEY=VALUE");
                return 1;
            }

            var archive = OciArchiveWriter.Write(rootfs, ImageReference.Parse(name), config, output);
            Console.Out.WriteLine($"{archive.Reference} {archive.ManifestDigest} -> {output}");
            return 0;
        }
        catch (Exception e) when (e is FormatException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
