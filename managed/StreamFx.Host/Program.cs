namespace StreamFx.Host;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("streamfx-host: not implemented yet");
        return 1;
    }
}
