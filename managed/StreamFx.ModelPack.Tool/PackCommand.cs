namespace StreamFx.ModelPack.Tool;

public static class PackCommand
{
    public static int Run(CommandLine options)
    {
        options.Required("out");
        throw new CommandLineException("pack: the stream-diffusion generator is not built yet");
    }
}
