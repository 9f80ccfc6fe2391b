import SpikeForgeCLI
SpikeForge.main()
