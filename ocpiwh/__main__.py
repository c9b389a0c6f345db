from ocpiwh.cli.main import main

main()
