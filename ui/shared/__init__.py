"""Parts more than one page uses: settings as the app shows them, safe text, widgets bound to the session, figures
sized for a classroom, network files in and out, the network picker, and the class's handwriting."""
