namespace StreamFx.ModelPack.Tool;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("streamfx-modelpack: not implemented yet");
        return 1;
    }
}
