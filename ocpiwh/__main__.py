from ocpiwh.cli import main

main()
