using StreamFx.ModelPack.ImageEffects;

namespace StreamFx.ModelPack.Tool;

public static class ImageEffectCommand
{
    public static int Run(CommandLine options)
    {
        string effectName = options.Required("effect");
        string folder = options.Required("out");
        options.RejectUnknown();
        ImageEffect effect;
        try
        {
            effect = ImageEffectPack.Parse(effectName);
        }
        catch (ArgumentException e)
        {
            throw new CommandLineException(e.Message);
        }

        ImageEffectPack.Write(folder, effect);
        Console.Out.WriteLine($"wrote image-effect '{ImageEffectPack.Name(effect)}' to {Path.GetFullPath(folder)}");
        return 0;
    }
}
