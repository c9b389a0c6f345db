from ocpiwh.cli.main import main

if __name__ == "__main__":  # `python -m ocpiwh`; importing the module runs nothing
    main()
